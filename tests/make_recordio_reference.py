"""Write the RecordIO / ImageRecordIter fixtures with real MXNet 1.9.1 (run once, by hand).

    /tmp/mxnet-ref/bin/python tests/make_recordio_reference.py /path/to/mxnet/tools/im2rec.py

needs OpenCV in that venv (opencv-python-headless 4.11.0.86 works with its NumPy 1.23) and
MXNet's tools/im2rec.py (from the 1.9.1 source tree; it is not in the wheel).  Writes into
tests/fixtures/mxnet-1.9.1/recordio/:
  images/*.png, single.lst, multi.lst   synthetic images (several sizes) and their lists
  single.rec/.idx                       im2rec.py, JPEG quality 95, one label per image
  multi.rec/.idx                        im2rec.py --pack-label --encoding .png, two labels
  raw.rec/.idx, raw.json                MXIndexedRecordIO records chosen to hit the framing's
                                        corner cases (empty, unaligned, embedded magic numbers)
  iter_<case>.npz                       the batches real mx.io.ImageRecordIter returns
  iter_<case>.nd                        the first of them as an NDArray file (R's tests; 3 cases)
  mean_<case>.nd                        the mean image file ImageRecordIter wrote
"""
import json
import os
import struct
import subprocess
import sys

import cv2
import mxnet as mx
import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "mxnet-1.9.1",
                    "recordio")
SIZES = [(30, 40), (40, 30), (32, 32), (36, 50), (24, 24), (20, 28), (45, 45)]   # (h, w)

# ImageRecordIter settings without randomness; 'epochs' epochs are recorded (reset between).
CASES = {
    "center": dict(path_imgrec="single.rec", data_shape=(3, 24, 24), batch_size=3, epochs=2),
    "resize_norm": dict(path_imgrec="single.rec", data_shape=(3, 24, 24), batch_size=4,
                        resize=26, mean_r=123.68, mean_g=116.78, mean_b=103.94, std_r=58.4,
                        std_g=57.1, std_b=57.4, scale=0.5, round_batch=False, epochs=2),
    "gray": dict(path_imgrec="single.rec", data_shape=(1, 20, 20), batch_size=7, epochs=1),
    "multi_mirror": dict(path_imgrec="multi.rec", data_shape=(3, 16, 16), batch_size=4,
                         label_width=2, mirror=True, epochs=2),
    "multi_upscale": dict(path_imgrec="multi.rec", data_shape=(3, 48, 40), batch_size=7,
                          label_width=2, epochs=1),
    "idx_nn": dict(path_imgrec="single.rec", path_imgidx="single.idx", data_shape=(3, 28, 28),
                   batch_size=5, resize=30, inter_method=0, epochs=2),
    # affine warp, padding and fixed-size crops: random draws multiplied by empty ranges
    "rotate_pad": dict(path_imgrec="single.rec", data_shape=(3, 24, 24), batch_size=7,
                       rotate=30, pad=2, fill_value=10, epochs=1),
    "crop_size_cubic": dict(path_imgrec="single.rec", data_shape=(3, 16, 16), batch_size=7,
                            max_crop_size=20, min_crop_size=20, inter_method=2, epochs=1),
    "img_size_auto": dict(path_imgrec="multi.rec", data_shape=(3, 20, 20), batch_size=7,
                          label_width=2, max_img_size=36, min_img_size=22, inter_method=9,
                          epochs=1),
    "mean_img": dict(path_imgrec="multi.rec", data_shape=(3, 20, 20), batch_size=7,
                     label_width=2, mean_img="mean_mean_img.nd", epochs=1),
}

RAW = [b"", b"a", b"abcd", b"hello world!",
       struct.pack("<I", 0xCED7230A) + b"tail",
       b"1234" + struct.pack("<I", 0xCED7230A) + b"56" + struct.pack("<I", 0xCED7230A),
       b"12" + struct.pack("<I", 0xCED7230A) + b"x",
       bytes(range(256)) * 4]


def synthetic(h, w, seed):
    """A smooth colour image with some texture (JPEG-like content, not noise)."""
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.empty((h, w, 3))
    for c in range(3):
        fx, fy, ph = rng.uniform(0.05, 0.4, 3)
        img[:, :, c] = 128 + 90 * np.sin(fx * x + ph * 6) * np.cos(fy * y) \
            + rng.uniform(-20, 20, (h, w))
    return np.clip(img, 0, 255).astype(np.uint8)


def write_images():
    os.makedirs(os.path.join(HERE, "images"), exist_ok=True)
    single, multi = [], []
    for i, (h, w) in enumerate(SIZES):
        name = "img%d.png" % i
        cv2.imwrite(os.path.join(HERE, "images", name), synthetic(h, w, i))
        single.append("%d\t%d\t%s\n" % (i, i % 3, name))
        multi.append("%d\t%d\t%.1f\t%s\n" % (i, i % 2, i * 1.5, name))
    with open(os.path.join(HERE, "single.lst"), "w") as f:
        f.writelines(single)
    with open(os.path.join(HERE, "multi.lst"), "w") as f:
        f.writelines(multi)


def run_im2rec(tool):
    root = os.path.join(HERE, "images")
    for prefix, extra in (("single", []), ("multi", ["--pack-label", "--encoding", ".png"])):
        subprocess.run([sys.executable, tool, os.path.join(HERE, prefix), root,
                        "--num-thread", "1", "--quality", "95"] + extra, check=True)


def write_raw():
    rec = mx.recordio.MXIndexedRecordIO(os.path.join(HERE, "raw.idx"),
                                        os.path.join(HERE, "raw.rec"), "w")
    for i, buf in enumerate(RAW):
        rec.write_idx(i * 10, buf)
    rec.close()
    with open(os.path.join(HERE, "raw.json"), "w") as f:
        json.dump({"keys": [i * 10 for i in range(len(RAW))],
                   "records": [b.hex() for b in RAW]}, f, indent=1)


def record_case(name, case):
    kw = dict(case)
    epochs = kw.pop("epochs")
    for key in ("path_imgrec", "path_imgidx", "mean_img"):
        if key in kw:
            kw[key] = os.path.join(HERE, kw[key])
    if "mean_img" in kw and os.path.exists(kw["mean_img"]):
        os.remove(kw["mean_img"])
    it = mx.io.ImageRecordIter(preprocess_threads=1, **kw)
    data, label, pad, epoch = [], [], [], []
    for e in range(epochs):
        # No reset before the first epoch: on a fresh iterator MXNet's prefetch thread may
        # already have parsed past the end of a small file, so where a reset then restarts
        # depends on timing (it resumed after the wrapped examples here).
        if e:
            it.reset()
        for batch in it:
            data.append(batch.data[0].asnumpy())
            label.append(batch.label[0].asnumpy())
            pad.append(batch.pad)
            epoch.append(e)
    if name in ("center", "gray", "multi_mirror"):
        mx.nd.save(os.path.join(HERE, "iter_%s.nd" % name),
                   {"data": mx.nd.array(data[0]), "label": mx.nd.array(label[0])})
    np.savez_compressed(os.path.join(HERE, "iter_%s.npz" % name), data=np.stack(data),
                        label=np.stack(label), pad=np.array(pad), epoch=np.array(epoch),
                        provide_data=np.array(it.provide_data[0].shape),
                        provide_label=np.array(it.provide_label[0].shape))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    write_images()
    run_im2rec(sys.argv[1])
    write_raw()
    with open(os.path.join(HERE, "cases.json"), "w") as f:
        json.dump(CASES, f, indent=1)
    for name, case in CASES.items():
        record_case(name, case)
    print("written to", HERE)


if __name__ == "__main__":
    main()
