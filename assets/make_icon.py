#!/usr/bin/python3
"""Draws the Polaris Workbench icon (a four-point star over a layered grid) into assets/ and installers/.

Needs Debian's python3-pil. Run: /usr/bin/python3 assets/make_icon.py. The output is committed; CI does not run this.
"""
import os
from PIL import Image, ImageDraw

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def draw(size):
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    r = size // 8
    d.rounded_rectangle([0, 0, size - 1, size - 1], radius=r, fill=(43, 48, 59, 255))
    step = size // 6
    for i in range(1, 6):
        d.line([(i * step, size // 10), (i * step, size - size // 10)], fill=(76, 86, 106, 255), width=max(1, size // 128))
        d.line([(size // 10, i * step), (size - size // 10, i * step)], fill=(76, 86, 106, 255), width=max(1, size // 128))
    c = size / 2
    big, small = size * 0.42, size * 0.09
    star = [(c, c - big), (c + small, c - small), (c + big, c), (c + small, c + small),
            (c, c + big), (c - small, c + small), (c - big, c), (c - small, c - small)]
    d.polygon(star, fill=(236, 239, 244, 255))
    d.ellipse([c - small * 0.8, c - small * 0.8, c + small * 0.8, c + small * 0.8], fill=(191, 97, 106, 255))
    return img


if __name__ == "__main__":
    draw(256).save(os.path.join(ROOT, "assets", "polaris-workbench-256.png"))
    draw(256).save(os.path.join(ROOT, "installers", "linux", "polaris-workbench.png"))
    draw(64).save(os.path.join(ROOT, "src", "main", "resources", "org", "polaris", "workbench", "ui", "icon-64.png"))
