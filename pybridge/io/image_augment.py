"""MXNet's default image augmenter ("aug_default") for ImageRecordIter, on OpenCV images.

The steps and their order are MXNet 1.9.1's: resize of the shorter edge, the affine
transform (rotation, shear, random scale and aspect ratio, image size bounds), padding, then
one of random-resized crop / random-size crop / (random or centre) crop to ``data_shape``.
Random draws use the NumPy generator handed in (MXNet's C++ engine streams are not
reproduced).  Then, on colour images, the colour jitter: brightness, contrast and saturation
in a random order, a shift in HLS space (random_h/s/l), and PCA ("lighting") noise.
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
    "brightness": (0.0, float), "contrast": (0.0, float), "saturation": (0.0, float),
    "pca_noise": (0.0, float), "random_h": (0, int), "random_s": (0, int), "random_l": (0, int),
}
# MXNet's ImageNet PCA: eigenvalue * eigenvector, rows R, G, B
_EIGVEC = np.array([[55.46 * -0.5675, 4.794 * 0.7192, 1.148 * 0.4009],
                    [55.46 * -0.5808, 4.794 * -0.0045, 1.148 * -0.8140],
                    [55.46 * -0.5836, 4.794 * -0.6948, 1.148 * 0.4203]], np.float32)


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
                return _colour(cv2, cropped, p, rng)
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
        res = cv2.resize(res[y:y + size, x:x + size], (width, height), interpolation=interp)
    else:
        res = _center_crop(cv2, res, p, out_hw, rng)
    return _colour(cv2, res, p, rng)


def _saturate(x):
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def _colour(cv2, res, p, rng):
    """Colour jitter of a BGR image, in MXNet's order (no-op on other images)."""
    if res.ndim != 3 or res.shape[2] != 3:
        return res
    if p.brightness > 0 or p.contrast > 0 or p.saturation > 0:
        alpha_b = 1.0 + rng.uniform(-p.brightness, p.brightness)
        alpha_c = 1.0 + rng.uniform(-p.contrast, p.contrast)
        alpha_s = 1.0 + rng.uniform(-p.saturation, p.saturation)
        for step in rng.permutation(3):
            if step == 0:
                res = _saturate(res * np.float32(alpha_b))
            elif step == 1:     # MXNet converts its BGR image with RGB2GRAY; so do we
                mean = cv2.cvtColor(res, cv2.COLOR_RGB2GRAY).mean()
                res = _saturate(res * np.float32(alpha_c) + np.float32((1 - alpha_c) * mean))
            else:
                gray = cv2.cvtColor(cv2.cvtColor(res, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2BGR)
                res = cv2.addWeighted(res, alpha_s, gray, 1 - alpha_s, 0.0)
    if p.random_h or p.random_s or p.random_l:
        hls = cv2.cvtColor(res, cv2.COLOR_BGR2HLS).astype(np.int32)
        draws = [(rng.rand() + 4 * rng.rand()) / 5 for _ in range(3)]   # near-Gaussian
        h, s, l = (int(d * v * 2 - v) for d, v in zip(draws, (p.random_h, p.random_s,
                                                                p.random_l)))
        hls += np.array([h, l, s], np.int32)
        hls = np.minimum(np.maximum(hls, 0), np.array([180, 255, 255]))
        res = cv2.cvtColor(hls.astype(np.uint8), cv2.COLOR_HLS2BGR)
    if p.pca_noise > 0:
        alpha = rng.normal(0, p.pca_noise, 3).astype(np.float32)
        r, g, b = _EIGVEC @ alpha
        shifted = np.trunc(res.astype(np.float32) + np.array([b, g, r], np.float32))
        res = np.clip(shifted, 0, 255).astype(np.uint8)
    return res


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
