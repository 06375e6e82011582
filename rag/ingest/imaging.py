"""Page images before OCR: measure the skew of a scanned or photographed page and straighten it.

Tesseract reads a page tilted by 2° one way almost as well as a straight one, but the other
way it can interleave words of neighbouring lines (CER 0.8 % → 28 % on a page of QĐ 294 at
−2°; ``eval/reports/ocr-*.md``). The skew is found by the projection-profile method: on a
small binarised copy, the angle whose rotation makes the row sums most uneven (text lines
and the gaps between them sharpest) is the page's skew.
"""

from __future__ import annotations

import numpy as np

MAX_ANGLE = 5.0  # degrees searched either way; a scan tilted more is rare and not measured
STEP = 0.25  # degrees between the angles tried (a coarse pass, then this resolution)
MIN_ANGLE = 0.3  # smaller skews are left alone: rotating costs more than it gains
WIDTH = 800  # pixels of the copy the skew is measured on


def skew_angle(image) -> float:
    """The rotation (degrees, counter-clockwise) that straightens ``image`` (a PIL image)."""
    from PIL import Image

    small = image.convert("L")
    small.thumbnail((WIDTH, WIDTH * 2))
    ink = np.asarray(small) < 160  # dark pixels: text
    if ink.mean() < 0.001:
        return 0.0
    mask = Image.fromarray((ink * 255).astype(np.uint8))

    def sharpness(angle: float) -> float:
        turned = mask.rotate(angle, resample=Image.NEAREST, expand=False)
        rows = np.asarray(turned).sum(axis=1, dtype=np.float64)
        return float(np.square(np.diff(rows)).sum())

    coarse = max(np.arange(-MAX_ANGLE, MAX_ANGLE + 1e-9, 1.0), key=sharpness)
    fine = np.arange(coarse - 1.0, coarse + 1.0 + 1e-9, STEP)
    return round(float(max(fine, key=sharpness)), 2)


def straighten(path, folder) -> tuple:
    """``path``'s image, each page straightened, written into ``folder``; its path and the largest angle.

    A page skewed less than :data:`MIN_ANGLE` is kept as it is; a multi-page image is written
    as a multi-page TIFF, a single page as PNG (lossless: JPEG artefacts are not added twice).
    """
    from pathlib import Path

    from PIL import Image

    with Image.open(path) as image:
        # Tesseract sizes its filters by the resolution: keep the one the scanner wrote.
        extra = {"dpi": image.info["dpi"]} if "dpi" in image.info else {}
        frames = []
        for n in range(getattr(image, "n_frames", 1)):
            image.seek(n)
            frames.append(image.convert("L"))
    angles = [skew_angle(frame) for frame in frames]
    turned = [frame.rotate(a, resample=Image.BICUBIC, expand=True, fillcolor=255) if abs(a) >= MIN_ANGLE
              else frame for frame, a in zip(frames, angles, strict=True)]
    if len(turned) == 1:
        out = Path(folder) / "page.png"
        turned[0].save(out, format="PNG", **extra)
    else:
        out = Path(folder) / "pages.tif"
        turned[0].save(out, format="TIFF", save_all=True, append_images=turned[1:],
                       compression="tiff_deflate", **extra)
    return out, max(angles, key=abs)
