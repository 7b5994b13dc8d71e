"""conv2d against its peers, side by side in one process: `make bench`.

Each case runs every contender in turn, interleaved, for several rounds, and reports the median
time and its ratio to the reference of the case (scipy.ndimage.correlate for 2-D, an im2col +
matmul baseline for layers). Peak memory of each layer contender is measured with tracemalloc
(NumPy reports its allocations to it). Contenders that are not installed are left out, and the
table says so.

    python benchmarks/bench_conv2d.py            # the full table (a few minutes on 2 cores)
    python benchmarks/bench_conv2d.py --quick    # smaller sizes, a smoke run

Notes on the peers (2 cores, NumPy 2.4, OpenCV 4.x, PyTorch 2.13 CPU; medians, see README):

- 2-D float32, against ``cv2.filter2D``: about 5x at 3x3 and 9-10x at 7x7 for a general
  (random) kernel, about 3x for a separable one (box, Gaussian, Sobel: convlib does two 1-D
  passes). OpenCV runs one fused SIMD loop per row with the taps in registers, on every core;
  pure NumPy cannot fuse: each tap is a multiply and an add over a strip of rows, two passes
  through the cache per tap (49 taps: 98 passes), however the strips are sized (tried 32 kB to
  4 MB) and however the rows are split over the cores (two threads: 1.5x). A banded-Toeplitz
  matmul (BLAS) was tried too and was slower (its copies and zero products cost more than the
  taps). Within 4x of cv2 holds for separable kernels and not for general ones.
- float32 layers, against ``torch.nn.functional.conv2d``: small images (64 of 32x32x3, 16
  filters 5x5) about 4-5x once PyTorch is warm (its first calls are 4x slower: oneDNN picks
  its kernels); large ones (16 of 224x224x3, 64 filters 3x3) convlib is ahead. The patch
  matrix convlib builds costs more than oneDNN's whole direct convolution on small images
  (copying the patches alone: 1.7 ms of its 4 ms); within 1.2x is out of reach for NumPy there.
- float64 is convlib's own ground: torch's float64 CPU path is slower than convlib's.
- A filter's gradient (a 48x48 image correlated with a 46x46 map of errors: 3x3 outputs, 2,116
  taps) takes one dot product per output: 0.2-0.5 ms, where going tap by tap took 10 ms (the
  lesson 5 exercise's 1,500 steps: 14 s). ``scipy.signal.correlate2d`` stays 2-4x ahead there
  (one C loop, none of conv2d's checks).
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import numpy as np

from convlib import conv2d, conv2d_loop


def _optional(name):
    try:
        return __import__(name, fromlist=["_"])
    except ImportError:
        return None


TABLE = []  # (case, contender, ms, ratio, reference, peak/output) for --markdown
RATIOS = []  # (case, peer, convlib / peer): the summary at the end

ndimage = _optional("scipy.ndimage")
signal = _optional("scipy.signal")
cv2 = _optional("cv2")
torch = _optional("torch")


def im2col_conv(images, kernels, bias, padding):
    """The textbook baseline: one (N*H'*W', kh*kw*C) patch matrix, one matmul."""
    n_k, kh, kw, channels = kernels.shape
    x = np.pad(images, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))  # N,H',W',C,kh,kw
    n, out_h, out_w = windows.shape[:3]
    cols = windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * out_h * out_w, kh * kw * channels)
    out = cols @ kernels.transpose(1, 2, 3, 0).reshape(kh * kw * channels, n_k)
    return (out + bias).reshape(n, out_h, out_w, n_k)


def timed(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def run_case(title, contenders, rounds, reference, peak=False, scale=None, peer=None):
    """Interleave the contenders for `rounds` rounds; print one row per contender.

    ``peer``: the contender convlib is held to (cv2.filter2D, torch); its ratio is printed last.
    """
    for fn in contenders.values():  # warm up (and check they all run)
        fn()
    times = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            times[name].extend(timed(fn, 1))
    peaks = {}
    if peak:
        for name, fn in contenders.items():
            tracemalloc.start()
            result = fn()
            peaks[name] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            out_bytes = result.nbytes
            del result
    base = statistics.median(times[reference])
    print(f"\n{title}")
    header = f"  {'contender':34s} {'median ms':>10s} {'x ' + reference:>24s}"
    if peak:
        header += f" {'peak MiB':>9s} {'peak/output':>11s}"
    print(header)
    rows = []
    for name, ts in times.items():
        med = statistics.median(ts) * (scale.get(name, 1) if scale else 1)
        row = f"  {name:34s} {med * 1e3:10.1f} {med / base:24.2f}"
        if peak:
            row += f" {peaks[name] / 2**20:9.1f} {peaks[name] / out_bytes:11.2f}"
        print(row)
        rows.append((name, med, med / base, peaks.get(name)))
        out_ratio = peaks[name] / out_bytes if peak else None
        TABLE.append((title, name, med * 1e3, med / base, reference, out_ratio))
    if peer in times:
        ours = next(r[1] for r in rows if r[0].startswith("convlib.conv2d") and "loop" not in r[0])
        theirs = next(r[1] for r in rows if r[0] == peer)
        print(f"  convlib.conv2d / {peer}: {ours / theirs:.2f}x")
        RATIOS.append((title, peer, ours / theirs))
    return rows


def bench_2d(size, rounds, loop_size):
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        image = rng.standard_normal((size, size)).astype(dtype)
        small = image[:loop_size, :loop_size]
        gaussian = np.outer(*[np.array([1.0, 6, 15, 20, 15, 6, 1])] * 2) / 4096
        for k, kernel, what in ((3, rng.standard_normal((3, 3)), "random"), (7, rng.standard_normal((7, 7)), "random"),
                                (7, gaussian, "Gaussian (separable)")):
            kernel = kernel.astype(dtype)
            contenders = {"convlib.conv2d (padding='same')": lambda: conv2d(image, kernel, padding="same")}
            if ndimage:
                contenders["scipy.ndimage.correlate"] = lambda: ndimage.correlate(image, kernel, mode="constant")
            if signal:
                contenders["scipy.signal.correlate2d"] = lambda: signal.correlate2d(image, kernel, mode="same")
            if cv2:
                contenders["cv2.filter2D"] = lambda: cv2.filter2D(
                    image, -1, kernel, borderType=cv2.BORDER_CONSTANT
                )
            # the loop twin on a small image, its time scaled up to the full size
            scale = (size * size) / (loop_size * loop_size)
            contenders[f"convlib.conv2d_loop ({loop_size}², scaled)"] = lambda: conv2d_loop(
                small, kernel, padding="same"
            )
            run_case(
                f"2-D {size}x{size}, {k}x{k} {what} kernel, {np.dtype(dtype).name}",
                contenders,
                rounds,
                "scipy.ndimage.correlate" if ndimage else "convlib.conv2d (padding='same')",
                scale={f"convlib.conv2d_loop ({loop_size}², scaled)": scale},
                peer="cv2.filter2D",
            )


def bench_gradient(size, rounds):
    """A filter's gradient (lessons 5 and 7): the image correlated with the map of errors, a
    kernel nearly the image's size and an output of 3x3."""
    rng = np.random.default_rng(0)
    image, errors = rng.standard_normal((size, size)), rng.standard_normal((size - 2, size - 2))
    contenders = {"convlib.conv2d": lambda: conv2d(image, errors)}
    if signal:  # (scipy.ndimage has no 'valid' mode: it would compute every one of the 48x48 outputs)
        contenders["scipy.signal.correlate2d"] = lambda: signal.correlate2d(image, errors, mode="valid")
    contenders["convlib.conv2d_loop"] = lambda: conv2d_loop(image, errors)
    run_case(f"a gradient: {size}x{size} image, {size - 2}x{size - 2} errors, 3x3 output, float64", contenders, rounds,
             "scipy.signal.correlate2d" if signal else "convlib.conv2d", peer="scipy.signal.correlate2d")


def bench_layer(batch, size, n_filters, k, padding, rounds, dtype=np.float32):
    rng = np.random.default_rng(1)
    images = rng.standard_normal((batch, size, size, 3)).astype(dtype)
    kernels = rng.standard_normal((n_filters, k, k, 3)).astype(dtype)
    bias = rng.standard_normal(n_filters).astype(dtype)
    contenders = {
        "convlib.conv2d": lambda: conv2d(images, kernels, bias, padding=padding),
        "im2col + matmul": lambda: im2col_conv(images, kernels, bias, padding),
    }
    if torch is not None:
        x_t = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
        w_t = torch.from_numpy(kernels).permute(0, 3, 1, 2).contiguous()
        b_t = torch.from_numpy(bias)
        contenders["torch.nn.functional.conv2d"] = lambda: torch.nn.functional.conv2d(
            x_t, w_t, b_t, padding=padding
        ).numpy()
    np.testing.assert_allclose(
        contenders["convlib.conv2d"](), contenders["im2col + matmul"](), rtol=1e-3, atol=1e-3
    )
    return run_case(
        f"layer: {batch} images {size}x{size}x3, {n_filters} filters {k}x{k}x3, padding {padding}, "
        f"bias, {np.dtype(dtype).name}",
        contenders,
        rounds,
        "im2col + matmul",
        peak=True,
        peer="torch.nn.functional.conv2d",
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, one round: a smoke run")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--markdown", action="store_true", help="also print the results as a Markdown table")
    args = parser.parse_args(argv)
    rounds = 1 if args.quick else args.rounds
    missing = [n for n, m in (("scipy", ndimage), ("opencv-python-headless", cv2), ("torch", torch)) if m is None]
    print(f"numpy {np.__version__}; not installed, left out: {', '.join(missing) or 'nothing'}")
    bench_2d(256 if args.quick else 2048, rounds, loop_size=32 if args.quick else 64)
    bench_gradient(48, rounds)
    bench_layer(8 if args.quick else 64, 32, 16, 5, 2, rounds)
    bench_layer(2 if args.quick else 16, 64 if args.quick else 224, 64, 3, 1, max(1, rounds // 2))
    print("\nconvlib.conv2d / its peer (lower is better; 1.00 is a tie):")
    for case, peer, ratio in RATIOS:
        print(f"  {ratio:6.2f}x {peer:28s} {case}")
    if args.markdown:
        print("\n| case | contender | median ms | × reference | peak / output |")
        print("|---|---|---:|---:|---:|")
        for case, name, ms, ratio, reference, peak in TABLE:
            peak_text = f"{peak:.2f}" if peak is not None else ""
            print(f"| {case} | {name} | {ms:.1f} | {ratio:.2f} × {reference} | {peak_text} |")


if __name__ == "__main__":
    main()
