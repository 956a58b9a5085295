"""The `arxivist` command: small tools around the pipeline (the stages themselves run under DVC).

Each subcommand lives in its own module, which exposes HELP, add_arguments(parser) and
run(args) -> exit code; modules import their heavy dependencies inside run(), and only the named
command's module is imported (all of them for `arxivist -h`), so `arxivist predict` starts with
what predicting needs. A user's error is
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
from arxivist.stage import check_hub_endpoint

# The exit status when stdout is closed early (`arxivist predict ... | head -1`): 128 + SIGPIPE,
# what a shell reports for any program the closed pipe stops (`yes | head -1`), with no message.
CLOSED_PIPE = 141
COMMANDS = {
    "predict": "arxivist.predict",
    "compare": "arxivist.compare",
    "check-data": "arxivist.datacheck",
    "push-to-hub": "arxivist.hub_upload",
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
    """The parsed arguments and the chosen command's run()."""
    parser = argparse.ArgumentParser(prog="arxivist", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    given = sys.argv[1:] if argv is None else argv
    named = next((arg for arg in given if not arg.startswith("-")), None)  # -h is the only option
    modules = {}
    for name, module_name in COMMANDS.items():
        if named in COMMANDS and name != named:
            commands.add_parser(name)  # a choice argparse knows, its module left unimported
            continue
        module = importlib.import_module(module_name)
        module.add_arguments(commands.add_parser(name, help=module.HELP, description=module.HELP))
        modules[name] = module
    args = parser.parse_args(argv)
    return args, modules[args.command].run


if __name__ == "__main__":
    sys.exit(main())
