#!/usr/bin/env bash
# A pull request's experiment, as .github/workflows/pr-experiment.yml runs it (and the tests do,
# against a local GCS): pull the data the base's dvc.lock names, reproduce what the branch changed,
# push the new outputs, and write a markdown report comparing the branch with the base: as two
# recipes over their training seeds when both come with runs at other seeds (experiments of the
# base and of this commit that differ only in train.seed, pushed with `dvc exp push origin`),
# else as two models, which the report says.
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
# The base's and this commit's experiments, refs only: compare reads their predictions from the
# remote. None pushed is no error: the comparison is then of two models.
for rev in "$base" HEAD; do
  dvc exp pull --no-cache origin --rev "$rev" || echo "no experiments of $rev pulled"
done
compare_err=$(mktemp)
trap 'rm -f "$compare_err"' EXIT

{
  echo "## arxivist: this branch against \`$base\`"
  echo
  echo "### Metrics"
  dvc metrics diff "$base" --md --precision 4
  echo
  echo "#### On the same papers: \`arxivist compare --seeds $base\`"
  echo
  # Whether a difference is more than noise (of the papers, and of the seeds where both sides
  # have several); a base without per-paper predictions (or with other papers) gets the one-line
  # reason instead of the table.
  if ! arxivist compare --seeds "$base" --md 2>"$compare_err"; then
    echo "No paired comparison: $(tail -n 1 "$compare_err" | sed 's/^error: //')"
  fi
  echo
  echo "### Params"
  dvc params diff "$base" --md
  echo
  echo "Plots (the systems and paired differences with their intervals, confusion matrices and ROC curves of the later set and the test split, training curves; both revisions): the \`dvc_plots\` artifact."
} >"$report"
echo "wrote $report"
