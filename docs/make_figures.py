"""Regenerate the README's pictures: `make figures` (writes docs/img/)."""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from convlib import animate, data, kernels, plot  # noqa: E402

OUT = Path(__file__).resolve().parent / "img"


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    gif = animate.save_gif(OUT / "slide.gif", data.binary_image(), data.x_kernel())
    table = plot.effects_table(data.photo(size=256), kernels.KERNELS, zoom=(76, 84, 64))
    table.savefig(OUT / "filter_effects.png", dpi=plot.TABLE_DPI)
    volume = plot.show_volume((32, 32, 3), (5, 5, 3), 6, (28, 28, 6), title="a layer of 6 filters 5×5×3")
    volume.savefig(OUT / "volume.png", dpi=80)
    for path in (gif, OUT / "filter_effects.png", OUT / "volume.png"):
        print(f"wrote {path.relative_to(OUT.parent.parent)} ({path.stat().st_size // 1024} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
