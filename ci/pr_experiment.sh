#!/usr/bin/env bash
# A pull request's experiment, as .github/workflows/pr-experiment.yml runs it (and the tests do,
# against a local GCS): pull the data the base's dvc.lock names, reproduce what the branch changed,
# push the new outputs, and write a markdown report comparing the branch with the base.
#
#   ci/pr_experiment.sh BASE REPORT      e.g. ci/pr_experiment.sh origin/main report.md
#
# Needs .venv (make venv) and credentials for the DVC remote in the environment; prints no secret.
set -euo pipefail
base=${1:?usage: ci/pr_experiment.sh BASE REPORT}
report=${2:?usage: ci/pr_experiment.sh BASE REPORT}
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH" DVC_NO_ANALYTICS=1

dvc pull --allow-missing    # what this branch's dvc.lock names and the remote holds
dvc repro                   # reruns exactly the stages whose declared inputs changed
dvc push                    # the new outputs, so anyone can `dvc pull` this branch
dvc plots diff "$base" --out dvc_plots >/dev/null
compare_err=$(mktemp)
trap 'rm -f "$compare_err"' EXIT

{
  echo "## arxivist: this branch against \`$base\`"
  echo
  echo "### Metrics"
  dvc metrics diff "$base" --md --precision 4
  echo
  echo "#### On the same papers: \`arxivist compare $base\`"
  echo
  # Whether a difference is more than noise; a base without per-paper predictions (or with other
  # papers) gets the one-line reason instead of the table.
  if ! arxivist compare "$base" --md 2>"$compare_err"; then
    echo "No paired comparison: $(tail -n 1 "$compare_err" | sed 's/^error: //')"
  fi
  echo
  echo "### Params"
  dvc params diff "$base" --md
  echo
  echo "Plots (the systems and paired differences with their intervals, confusion matrices and ROC curves of the later set and the test split, training curves; both revisions): the \`dvc_plots\` artifact."
} >"$report"
echo "wrote $report"
