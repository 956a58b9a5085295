"""The `arxivist` command: small tools around the pipeline (the stages themselves run under DVC).

Each subcommand lives in its own module, which exposes add_arguments(parser) and run(args) -> exit
code; COMMANDS names that module and the command's help, so only the chosen command's module (and
what it imports) is loaded: `arxivist --help` imports none of them. A user's error is
raised as an ArxivistError, from run() or before it, and main() reports it, for every command
alike, as one line `error: <message>` on stderr with its exit status (1 unless it says otherwise);
a full disk too. A reader that stops reading (`| head`) ends the command quietly (CLOSED_PIPE).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable

from arxivist.errors import ArxivistError, DiskFull, disk_full, report
from arxivist.stage_runner import check_hub_endpoint

# The exit status when stdout is closed early (`arxivist predict ... | head -1`): 128 + SIGPIPE,
# what a shell reports for any program the closed pipe stops (`yes | head -1`), with no message.
CLOSED_PIPE = 141
# command -> (its module, its help)
COMMANDS = {
    "predict": (
        "arxivist.model.predict",
        "classify abstracts with a saved model (default: models/published)",
    ),
    "compare": (
        "arxivist.evaluation.compare",
        "whether B beats A on the same papers: two runs (paired bootstrap) or two recipes over "
        "their seeds (two-level bootstrap); default: workspace vs HEAD",
    ),
    "check-data": (
        "arxivist.integrity.status_check",
        "Fail, listing each path, when DVC-tracked data is missing or modified here or on the "
        "remote.",
    ),
    "push-to-hub": (
        "arxivist.publishing.hub_upload",
        "upload a published model folder to the Hugging Face Hub (private unless --public)",
    ),
}


def main(argv: list[str] | None = None) -> int:
    try:
        check_hub_endpoint()  # before any module imports huggingface_hub, which parses it
        args, run = parse(argv)
        return run(args)
    except ArxivistError as err:
        return report(err)
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as `yes | head` does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return CLOSED_PIPE
    except Exception as err:
        full = disk_full(err)
        if not full:
            raise
        command = " ".join(["arxivist", *(sys.argv[1:] if argv is None else argv)[:1]])
        return report(DiskFull(f"{command}: {full}; free space and rerun"))


def parse(argv: list[str] | None) -> tuple[argparse.Namespace, Callable[..., int]]:
    """The parsed arguments and the chosen command's run(); only that command's module is
    imported (argparse itself refuses a missing or unknown command)."""
    parser = argparse.ArgumentParser(prog="arxivist", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    subparsers = {
        name: commands.add_parser(name, help=text, description=text)
        for name, (_, text) in COMMANDS.items()
    }
    words = sys.argv[1:] if argv is None else argv
    chosen = next((word for word in words if not word.startswith("-")), None)
    run: Callable[..., int] | None = None
    if chosen in COMMANDS:
        module = importlib.import_module(COMMANDS[chosen][0])
        module.add_arguments(subparsers[chosen])
        run = module.run
    args = parser.parse_args(argv)
    assert run is not None  # parse_args exits unless a command was chosen
    return args, run


if __name__ == "__main__":
    sys.exit(main())
