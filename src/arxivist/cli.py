"""The `arxivist` command: small tools around the pipeline (the stages themselves run under DVC).

Each subcommand lives in its own module, which exposes HELP, add_arguments(parser) and
run(args) -> exit code; modules import their heavy dependencies inside run().
"""

from __future__ import annotations

import argparse
import importlib
import sys

from arxivist.errors import ArxivistError
from arxivist.stage import check_hub_endpoint

COMMANDS = {
    "predict": "arxivist.predict",
    "compare": "arxivist.compare",
    "check-data": "arxivist.datacheck",
    "push-to-hub": "arxivist.hub_upload",
}


def main(argv: list[str] | None = None) -> int:
    try:
        check_hub_endpoint()  # before any module imports huggingface_hub, which parses it
    except ArxivistError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    parser = argparse.ArgumentParser(prog="arxivist", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules = {}
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        module.add_arguments(commands.add_parser(name, help=module.HELP, description=module.HELP))
        modules[name] = module
    args = parser.parse_args(argv)
    return modules[args.command].run(args)


if __name__ == "__main__":
    sys.exit(main())
