"""The pipeline's stage scripts: one module per dvc.yaml stage, run as `python -m stages.<name>`.

Importing the package checks the environment that the libraries read when they are imported
(HF_ENDPOINT), so a bad value is one line before any stage imports them.
"""

from arxivist.stage_runner import exit_on_bad_environment

exit_on_bad_environment()
