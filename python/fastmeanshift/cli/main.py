"""The ``fastmeanshift`` command: cluster a data file, or run the demo.

Every failure the user can cause (a bad file, option or datum) ends in one
line on stderr and a non-zero exit status; Ctrl-C ends quietly with 130.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

import numpy as np

from .._mean_shift import MeanShift, estimate_bandwidth
from . import segment as segment_command
from .demo import QUANTILE, blobs, compare_with_sklearn
from .errors import MissingDependency, UsageError
from .input_files import open_data_file, read_piece
from .output_files import FORMATS, write_json_document, write_table
from .output_paths import Output, check_plot_path, planned_outputs, plot_target
from .plot import PLOT_EXTRA_HINT, plot_clusters
from .progress_bar import ProgressBar
from .weights_and_seeds import read_seeds, split_weights

PROG = "fastmeanshift"
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
SUMMARY_CLUSTERS = 10
DEMO_PLOT = "fastmeanshift-demo.png"


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (with a pointer to --help)."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        sys.exit(EXIT_USAGE)


def bandwidth_option(text: str) -> float | None:
    if text == "auto":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'auto', got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROG,
        description="Mean shift clustering, identical to scikit-learn's and much faster.",
        epilog="Without a command, runs the demo.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    cluster = commands.add_parser(
        "cluster",
        help="cluster the samples of a data file",
        description=(
            "Cluster the rows of DATA (CSV with or without a header, .npy, or "
            ".parquet with pyarrow). Without --labels or --centers, prints one "
            "JSON object with labels, cluster_centers, n_iter and bandwidth. "
            "A summary goes to stderr."
        ),
    )
    cluster.add_argument("data", metavar="DATA", help="the samples, one row each")
    group = cluster.add_argument_group("mean shift (MeanShift's parameters)")
    group.add_argument(
        "--bandwidth",
        type=bandwidth_option,
        default=None,
        metavar="auto|FLOAT",
        help="kernel radius; auto (default) estimates it with estimate_bandwidth",
    )
    group.add_argument(
        "--quantile",
        type=float,
        default=0.3,
        help="quantile of the automatic bandwidth estimate (default 0.3)",
    )
    group.add_argument("--seeds", metavar="FILE", help="start the climbs from these rows")
    group.add_argument(
        "--bin-seeding", action="store_true", help="seed from a grid of spacing bandwidth"
    )
    group.add_argument(
        "--min-bin-freq",
        type=int,
        default=1,
        metavar="N",
        help="with --bin-seeding, only grid cells with at least N samples (default 1)",
    )
    group.add_argument(
        "--no-cluster-all",
        dest="cluster_all",
        action="store_false",
        help="label samples farther than bandwidth from every center -1",
    )
    group.add_argument(
        "--max-iter", type=int, default=300, metavar="N", help="per seed (default 300)"
    )
    group.add_argument(
        "--jobs",
        type=int,
        default=-1,
        metavar="N",
        help="threads; -1 (default) for all cores; results do not depend on it",
    )
    group.add_argument(
        "--kernel",
        choices=("flat", "epanechnikov", "gaussian"),
        default="flat",
        help="how each climb weighs the samples (default flat, scikit-learn's)",
    )
    group.add_argument(
        "--assign",
        choices=("nearest", "attractor"),
        default="nearest",
        help="label each sample by its nearest center (default, scikit-learn's) or by the "
        "center nearest to where its own climb ends, its basin of attraction",
    )
    group.add_argument(
        "--weights",
        metavar="FILE|COLUMN",
        help="sample weights: a file of one weight per sample, or a column of DATA "
        "(its name, or its index from 0; negative counts from the end), "
        "which is then not a feature",
    )
    cluster_group = cluster.add_argument_group("on a Dask cluster")
    cluster_group.add_argument(
        "--scheduler",
        metavar="ADDRESS|local",
        help="cluster on the Dask scheduler at ADDRESS (tcp://host:8786), or on a new local "
        "cluster; DATA may then be a glob of files, read by the workers, and --labels a "
        "pattern with one * (one file per partition); needs fastmeanshift[dask]",
    )
    cluster_group.add_argument(
        "--sample",
        type=int,
        default=10_000,
        metavar="N",
        help="with --scheduler and --bandwidth auto, estimate from N sampled rows (default 10000)",
    )
    output = cluster.add_argument_group("output")
    output.add_argument("--labels", metavar="FILE", help="write the labels here (- for stdout)")
    output.add_argument("--centers", metavar="FILE", help="write the centers here (- for stdout)")
    output.add_argument(
        "--format",
        choices=FORMATS,
        help="format of --labels and --centers (default: from the extension; csv for -)",
    )
    output.add_argument("--plot", metavar="FILE.png", help="draw the clusters (needs matplotlib)")
    output.add_argument("-q", "--quiet", action="store_true", help="no summary, no progress bar")

    demo = commands.add_parser(
        "demo",
        help="cluster generated blobs and compare with scikit-learn",
        description=(
            "Cluster generated 2-D blobs with every point a seed, print a summary "
            "and, when scikit-learn is installed, the speed-up over it; draw "
            f"the clusters when matplotlib is installed ({DEMO_PLOT} by default)."
        ),
    )
    demo.add_argument("--samples", type=int, default=10_000, help="points (default 10000)")
    demo.add_argument("--seed", type=int, default=0, help="random seed of the data")
    demo.add_argument("--jobs", type=int, default=-1, help="threads, -1 (default) for all cores")
    demo.add_argument("--plot", metavar="FILE.png", default=DEMO_PLOT, help="where to draw")
    demo.add_argument("--no-plot", dest="plot", action="store_const", const=None)
    segment_command.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line ``argv`` (default ``sys.argv[1:]``); the exit status."""
    command = None
    try:
        args = build_parser().parse_args(with_command(argv))
        command = args.command
        with warnings_as_lines():
            if args.command == "cluster":
                run_cluster(args)
            elif args.command == "segment":
                segment_command.run(args)
            else:
                run_demo(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of stdout went away (| head): nothing left to say.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except UsageError as err:
        return fail(f"{PROG}: error: {err} (see {PROG} {command} --help)", EXIT_USAGE)
    except (ValueError, TypeError, OSError, MemoryError, MissingDependency) as err:
        return fail(f"{PROG}: error: {one_line(err)}", EXIT_ERROR)
    return 0


def with_command(argv: Sequence[str] | None) -> list[str]:
    """``argv`` with ``demo`` in front when it starts with no command: the
    demo is the default, so its options work without the word (``--samples
    100``). A word that is no command is left for argparse to refuse."""
    words = list(sys.argv[1:] if argv is None else argv)
    if not words or (words[0].startswith("-") and words[0] not in ("-h", "--help")):
        return ["demo", *words]
    return words


def fail(message: str, status: int) -> int:
    sys.stderr.write(message + "\n")
    return status


def one_line(err: BaseException) -> str:
    """The first line of an exception's message (NumPy and the validation put
    details, sometimes whole arrays, on the lines after)."""
    if isinstance(err, OSError) and err.strerror and err.filename:
        return f"{err.filename}: {err.strerror}"
    if isinstance(err, MemoryError):
        return f"out of memory ({err})" if str(err) else "out of memory"
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


@contextmanager
def warnings_as_lines() -> Iterator[None]:
    """Library warnings (a failed binning, say) as one line each on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for warning in caught:
                sys.stderr.write(f"{PROG}: warning: {one_line(Exception(warning.message))}\n")


def run_cluster(args: argparse.Namespace) -> None:
    """``fastmeanshift cluster``: every output path is checked first, then
    the data read (here, or on the workers with ``--scheduler``) by the same
    readers, then ``--weights`` and ``--seeds`` checked against it alike."""
    outputs = planned_outputs(args)
    plot = None
    if args.plot:
        if args.scheduler is not None:
            raise UsageError(
                "--plot would bring every sample to this machine: not with --scheduler"
            )
        check_plot_path(args.plot)
        plot = plot_target(args.plot)
    if args.scheduler is not None:
        if args.assign == "attractor":
            raise UsageError(
                "--assign attractor needs every sample's own climb, which a Dask cluster "
                "would track on this machine: not with --scheduler (run it without)"
            )
        run_cluster_on_dask(args, outputs)
        return
    data = open_data_file(args.data)
    X = read_piece(data.pieces[0])
    X, sample_weight = split_weights(X, data.names, args.weights, args.data)
    seeds = read_seeds(args.seeds, X.shape[1])
    start = time.perf_counter()
    bandwidth = args.bandwidth
    if bandwidth is None:
        bandwidth = float(estimate_bandwidth(X, quantile=args.quantile, n_jobs=args.jobs))
        check_estimate(bandwidth, len(X), args.quantile)
    model = MeanShift(
        bandwidth=args.bandwidth,
        seeds=seeds,
        bin_seeding=args.bin_seeding,
        min_bin_freq=args.min_bin_freq,
        cluster_all=args.cluster_all,
        max_iter=args.max_iter,
        n_jobs=args.jobs,
        kernel=args.kernel,
        cluster_assignment=args.assign,
    )
    fit_with_progress(model, X, bandwidth, show=not args.quiet, sample_weight=sample_weight)
    seconds = time.perf_counter() - start
    if not args.quiet:
        how = "estimated" if args.bandwidth is None else "given"
        sys.stderr.write(
            f"{len(X)} samples, {X.shape[1]} features, bandwidth {bandwidth:.6g} ({how})\n"
        )
        sys.stderr.write(summary(model, seconds))
    write_outputs(outputs, model, bandwidth)
    if plot:
        plot_clusters(X, model.labels_, model.cluster_centers_, plot, os.path.basename(args.data))
        if not args.quiet:
            sys.stderr.write(f"plot written to {plot}\n")


def run_cluster_on_dask(args: argparse.Namespace, outputs: list[Output]) -> None:
    """``run_cluster`` on the Dask cluster of ``--scheduler``: the files read
    and checked on the workers, the labels written there, one file per
    partition."""
    from . import cluster_on_dask

    if args.sample < 1:
        raise UsageError("--sample must be at least 1")
    cluster_on_dask.require_dask()
    from ..dask import MeanShift as DaskMeanShift
    from ..dask import estimate_bandwidth as dask_estimate_bandwidth

    files = cluster_on_dask.matching_files(args.data)
    with cluster_on_dask.connected(args.scheduler) as client:
        X, names = cluster_on_dask.read_on_workers(client, files)
        X, sample_weight = split_weights(X, names, args.weights, args.data)
        model = DaskMeanShift(
            bandwidth=args.bandwidth,
            seeds=read_seeds(args.seeds, X.shape[1]),
            bin_seeding=args.bin_seeding,
            min_bin_freq=args.min_bin_freq,
            cluster_all=args.cluster_all,
            max_iter=args.max_iter,
            n_jobs=None,
            kernel=args.kernel,
        )
        start = time.perf_counter()
        if model.bandwidth is None:
            bandwidth = float(
                dask_estimate_bandwidth(X, quantile=args.quantile, n_samples=args.sample)
            )
            check_estimate(bandwidth, min(len(X), args.sample), args.quantile)
            model.bandwidth = bandwidth
        cluster_on_dask.fit_with_rounds(model, X, sample_weight, show=not args.quiet)
        seconds = time.perf_counter() - start
        written = cluster_on_dask.write_labels(model, outputs)
    write_outputs(outputs, model, model.bandwidth, labels=False)
    if not args.quiet:
        how = "estimated" if args.bandwidth is None else "given"
        sys.stderr.write(
            f"{len(files)} file(s), {len(X)} samples, {X.shape[1]} features, bandwidth "
            f"{model.bandwidth:.6g} ({how}); {len(model.cluster_centers_)} clusters in "
            f"{seconds:.3f} s, {model.n_iter_} iterations at most\n"
        )
        if written:
            sys.stderr.write(f"labels written to {len(written)} files: {written[0]} ...\n")


def check_estimate(bandwidth: float, n_samples: int, quantile: float) -> None:
    """A ValueError that says why, for an estimated bandwidth of 0."""
    if bandwidth == 0:
        raise ValueError(zero_estimate(n_samples, quantile))


def zero_estimate(n_samples: int, quantile: float) -> str:
    """Why the estimated bandwidth is 0, and what to do about it."""
    k = max(1, int(n_samples * quantile))
    what = (
        "the estimated bandwidth is 0: it is the mean distance from each sample to its k-th "
        "nearest sample, itself counted"
    )
    if n_samples == 1:
        return f"{what}, and there is one sample: give --bandwidth"
    if k == 1:
        # k = int(n * quantile) reaches 2 from this quantile on.
        enough = min(1.0, math.ceil(2000 / n_samples) / 1000)
        return (
            f"{what}, and with {n_samples} samples at --quantile {quantile:g}, "
            f"k = max(1, int({n_samples} x {quantile:g})) = 1, the sample itself: give "
            f"--bandwidth, or --quantile {enough:g} or more"
        )
    return (
        f"{what} (k = {k} of {n_samples} at --quantile {quantile:g}), and every sample has at "
        f"least {k - 1} exact duplicates: give --bandwidth, or a larger --quantile"
    )


def write_outputs(outputs: list[Output], model: Any, bandwidth: float, labels: bool = True) -> None:
    """Each output of ``outputs`` (the workers write the labels with
    ``--scheduler``), or the JSON document on stdout; ``labels`` says
    whether the model's labels are in memory, to be written here."""
    if not outputs:
        document = {"cluster_centers": model.cluster_centers_.tolist()}
        if labels:
            document = {"labels": model.labels_.tolist(), **document}
        write_json_document("-", {**document, "n_iter": model.n_iter_, "bandwidth": bandwidth})
    for output in outputs:
        if output.table == "centers":
            write_table(output.path, model.cluster_centers_, output.format, "centers")
        elif labels:
            write_table(output.path, model.labels_, output.format, "labels")


def fit_with_progress(
    model: MeanShift, X: Any, bandwidth: float, show: bool, sample_weight: Any = None
) -> None:
    """Fits ``model`` at ``bandwidth`` (its own, or the one estimated here,
    which can be infinite as a bandwidth given cannot), with a progress bar
    when stderr is a terminal."""
    if not (show and sys.stderr.isatty()):
        model._fit(X, sample_weight, estimate=bandwidth)
        return
    bar = ProgressBar(sys.stderr)
    try:
        model._fit(X, sample_weight, estimate=bandwidth, progress=bar)
    finally:
        bar.clear()


def summary(model: MeanShift, seconds: float) -> str:
    """Clusters, their sizes and centers, iterations and time, for stderr."""
    labels = model.labels_
    centers = model.cluster_centers_
    sizes = np.bincount(labels[labels >= 0], minlength=len(centers))
    lines = [f"{len(centers)} clusters in {seconds:.3f} s, {model.n_iter_} iterations at most\n"]
    for k in range(min(len(centers), SUMMARY_CLUSTERS)):
        lines.append(f"  cluster {k}: {sizes[k]:8d} samples around {point_text(centers[k])}\n")
    if len(centers) > SUMMARY_CLUSTERS:
        rest = int(sizes[SUMMARY_CLUSTERS:].sum())
        lines.append(f"  ... {len(centers) - SUMMARY_CLUSTERS} more clusters, {rest} samples\n")
    orphans = int((labels < 0).sum())
    if orphans:
        lines.append(f"  no cluster: {orphans:8d} samples\n")
    return "".join(lines)


def point_text(point: np.ndarray, shown: int = 4) -> str:
    coordinates = ", ".join(f"{value:.4g}" for value in point[:shown])
    return f"({coordinates}{', ...' if len(point) > shown else ''})"


def run_demo(args: argparse.Namespace) -> None:
    if args.samples < 1:
        raise UsageError("--samples must be at least 1")
    plot = plot_target(args.plot) if args.plot else None
    if args.plot:
        try:
            check_plot_path(args.plot)
        except MissingDependency:
            pass  # the folder is checked; the demo says how to get plots at the end
    X = blobs(args.samples, args.seed)
    start = time.perf_counter()
    bandwidth = float(estimate_bandwidth(X, quantile=QUANTILE, n_jobs=args.jobs))
    model = MeanShift(n_jobs=args.jobs)
    fit_with_progress(model, X, bandwidth, show=True)
    seconds = time.perf_counter() - start
    print(f"{len(X)} generated 2-D samples in three blobs, every sample a seed")
    print(f"bandwidth {bandwidth:.6g} (estimated, quantile {QUANTILE})")
    print(summary(model, seconds), end="")
    comparison = compare_with_sklearn(X, bandwidth)
    if comparison is None:
        print("install scikit-learn to see the speed-up over it")
    else:
        result = "identical results" if comparison.identical else "RESULTS DIFFER"
        print(
            f"scikit-learn, on the first {comparison.samples} samples only (it is slow), one "
            f"thread each: {comparison.sklearn_seconds:.3f} s; fastmeanshift: "
            f"{comparison.fastmeanshift_seconds:.3f} s, {comparison.speedup:.0f}x faster, {result}"
        )
    if plot:
        try:
            plot_clusters(X, model.labels_, model.cluster_centers_, plot, "fastmeanshift demo")
        except MissingDependency:
            print(f"no plot: matplotlib is not installed ({PLOT_EXTRA_HINT})")
        else:
            print(f"plot written to {os.path.abspath(plot)}")
