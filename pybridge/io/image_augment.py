"""MXNet's default image augmenter ("aug_default") for ImageRecordIter, on OpenCV images.

The steps and their order are MXNet 1.9.1's: resize of the shorter edge, the affine
transform (rotation, shear, random scale and aspect ratio, image size bounds), padding, then
one of random-resized crop / random-size crop / (random or centre) crop to ``data_shape``.
Random draws use the NumPy generator handed in (MXNet's C++ engine streams are not
reproduced).  Colour jitter (brightness, contrast, saturation, random_h/s/l, pca_noise) is
not implemented and rejected.
"""
import math

import numpy as np

from ..base import MXNetError

# name -> (default, type): the augmenter's parameters as MXNet declares them.
AUG_PARAMS = {
    "resize": (-1, int), "rand_crop": (False, bool), "random_resized_crop": (False, bool),
    "max_rotate_angle": (0, int), "max_aspect_ratio": (0.0, float),
    "min_aspect_ratio": (None, float), "max_shear_ratio": (0.0, float),
    "max_crop_size": (-1, int), "min_crop_size": (-1, int), "max_random_scale": (1.0, float),
    "min_random_scale": (1.0, float), "max_random_area": (1.0, float),
    "min_random_area": (1.0, float), "max_img_size": (1e10, float), "min_img_size": (0.0, float),
    "rotate": (-1, int), "fill_value": (255, int), "inter_method": (1, int), "pad": (0, int),
}
UNSUPPORTED = ("brightness", "contrast", "saturation", "pca_noise", "random_h", "random_s",
               "random_l")


def inter_method(method, old_w, old_h, new_w, new_h, rng):
    """OpenCV interpolation code for MXNet's inter_method (9: by direction, 10: random)."""
    if method == 9:
        if new_w > old_w and new_h > old_h:
            return 2        # cubic to enlarge
        if new_w < old_w and new_h < old_h:
            return 3        # area to shrink
        return 1
    if method == 10:
        return int(rng.randint(0, 5))
    return method


def _affine(cv2, res, p, lo_ratio, hi_ratio, rng):
    shear = rng.rand() * p.max_shear_ratio * 2 - p.max_shear_ratio
    angle = int(rng.randint(-p.max_rotate_angle, p.max_rotate_angle + 1))
    if p.rotate > 0:
        angle = p.rotate
    a, b = math.cos(angle / 180.0 * math.pi), math.sin(angle / 180.0 * math.pi)
    scale = ratio = 1.0
    if not p.random_resized_crop:
        scale = rng.rand() * (p.max_random_scale - p.min_random_scale) + p.min_random_scale
        ratio = rng.rand() * (hi_ratio - lo_ratio) + lo_ratio
    hs = 2 * scale / (1 + ratio)
    ws = ratio * hs
    rows, cols = res.shape[:2]
    new_w = max(p.min_img_size, min(p.max_img_size, scale * cols))
    new_h = max(p.min_img_size, min(p.max_img_size, scale * rows))
    m = np.array([[hs * a - shear * b * ws, hs * b + shear * a * ws, 0],
                  [-b * ws, a * ws, 0]], np.float32)
    m[0, 2] = (new_w - (m[0, 0] * cols + m[0, 1] * rows)) / 2
    m[1, 2] = (new_h - (m[1, 0] * cols + m[1, 1] * rows)) / 2
    interp = inter_method(p.inter_method, cols, rows, new_w, new_h, rng)
    fill = (p.fill_value,) * 3
    return cv2.warpAffine(res, m, (int(new_w), int(new_h)), flags=interp,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=fill)


def _resized_crop(cv2, res, p, lo_ratio, hi_ratio, out_hw, rng):
    """Random area and aspect ratio, resized to the output size; None when no try fits."""
    rows, cols = res.shape[:2]
    area = rows * cols
    for _ in range(10):
        target = area * rng.uniform(p.min_random_area, p.max_random_area)
        ratio = rng.uniform(lo_ratio, hi_ratio)
        h, w = int(round(math.sqrt(target / ratio))), int(round(math.sqrt(target * ratio)))
        if rng.rand() > 0.5:
            h, w = w, h
        if h <= rows and w <= cols:
            y, x = rng.randint(0, rows - h + 1), rng.randint(0, cols - w + 1)
            interp = inter_method(p.inter_method, w, h, out_hw[1], out_hw[0], rng)
            return cv2.resize(res[y:y + h, x:x + w], (out_hw[1], out_hw[0]),
                              interpolation=interp)
    return None


def augment(cv2, src, p, out_hw, rng):
    """``src`` (H, W[, C] uint8) -> image of ``out_hw`` (height, width) as MXNet's Process."""
    if p.min_aspect_ratio is not None:
        lo_ratio, hi_ratio = p.min_aspect_ratio, p.max_aspect_ratio
    else:
        lo_ratio, hi_ratio = 1 - p.max_aspect_ratio, 1 + p.max_aspect_ratio
    res = src
    rows, cols = src.shape[:2]
    if p.resize != -1:
        if rows > cols:
            new_h, new_w = p.resize * rows // cols, p.resize
        else:
            new_h, new_w = p.resize, p.resize * cols // rows
        interp = inter_method(p.inter_method, cols, rows, new_w, new_h, rng)
        res = cv2.resize(src, (new_w, new_h), interpolation=interp)
    if (p.max_rotate_angle > 0 or p.max_shear_ratio > 0 or p.rotate > 0
            or p.max_random_scale != 1.0 or p.min_random_scale != 1.0
            or (not p.random_resized_crop and (lo_ratio != 1.0 or hi_ratio != 1.0))
            or p.max_img_size != 1e10 or p.min_img_size != 0.0):
        res = _affine(cv2, res, p, lo_ratio, hi_ratio, rng)
    if p.pad > 0:
        res = cv2.copyMakeBorder(res, p.pad, p.pad, p.pad, p.pad, cv2.BORDER_CONSTANT,
                                 value=(p.fill_value,) * 3)
    height, width = out_hw
    if p.random_resized_crop:
        if (p.min_random_scale != 1.0 or p.max_random_scale != 1.0 or p.min_crop_size != -1
                or p.max_crop_size != -1 or p.rand_crop):
            raise MXNetError("ImageRecordIter: Setting random_resized_crop to true conflicts "
                             "with min_random_scale, max_random_scale, min_crop_size, "
                             "max_crop_size, and rand_crop.")
        if (p.max_random_area != 1.0 or p.min_random_area != 1.0
                or lo_ratio != 1.0 or hi_ratio != 1.0):
            if not (lo_ratio > 0 and p.min_random_area <= p.max_random_area
                    and lo_ratio <= hi_ratio):
                raise MXNetError("ImageRecordIter: random_resized_crop needs 0 < "
                                 "min_aspect_ratio <= max_aspect_ratio and min_random_area <= "
                                 "max_random_area")
            cropped = _resized_crop(cv2, res, p, lo_ratio, hi_ratio, out_hw, rng)
            if cropped is not None:
                return cropped
    elif p.max_crop_size != -1 or p.min_crop_size != -1:
        rows, cols = res.shape[:2]
        if not (cols >= p.max_crop_size and rows >= p.max_crop_size
                and p.max_crop_size >= p.min_crop_size):
            raise MXNetError("ImageRecordIter: input image size smaller than max_crop_size")
        size = int(rng.randint(p.min_crop_size, p.max_crop_size + 1))
        y, x = rows - size, cols - size
        if p.rand_crop:
            y, x = rng.randint(0, y + 1), rng.randint(0, x + 1)
        else:
            y, x = y // 2, x // 2
        interp = inter_method(p.inter_method, size, size, width, height, rng)
        return cv2.resize(res[y:y + size, x:x + size], (width, height), interpolation=interp)
    return _center_crop(cv2, res, p, out_hw, rng)


def _center_crop(cv2, res, p, out_hw, rng):
    """Crop ``out_hw`` (random place with rand_crop), first enlarging an image too small."""
    height, width = out_hw
    rows, cols = res.shape[:2]
    interp = inter_method(p.inter_method, cols, rows, width, height, rng)
    if rows < height:
        cols = int(float(height) / rows * cols)    # float32 in MXNet; same for these sizes
        res = cv2.resize(res, (cols, height), interpolation=interp)
        rows = height
    if cols < width:
        rows = int(float(width) / cols * rows)
        res = cv2.resize(res, (width, rows), interpolation=interp)
        cols = width
    if rows < height or cols < width:
        raise MXNetError("ImageRecordIter: input image size smaller than input shape")
    y, x = rows - height, cols - width
    if p.rand_crop:
        y, x = rng.randint(0, y + 1), rng.randint(0, x + 1)
    else:
        y, x = y // 2, x // 2
    return res[y:y + height, x:x + width]
