#!/usr/bin/env bash
# The reasoning-boundary experiment (issue 13): supervised base model on part of the skills, prolonged RL on a broader
# mixture, pass@k of both on held-out problems, and four ablations with the same seeds. One command, resumable:
#   recipes/boundary/run.sh [--quick]
# Every stage writes into $WORK/<stage>.partial and is renamed to $WORK/<stage> when it is complete; a re-run skips
# complete stages. An RL stage killed on the way (even by kill -9) resumes its run directory where it stopped.
set -euo pipefail

MODE=full
for arg in "$@"; do
  case "$arg" in
    --quick) MODE=quick ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "unknown argument '$arg' (expected --quick)" >&2; exit 2 ;;
  esac
done

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
WORK="${BOUNDARY_WORK:-$HERE/work-$MODE}"
RESULTS="${BOUNDARY_RESULTS:-$HERE/results-$MODE}"
THREADS="${BOUNDARY_THREADS:-2}"
SEED=7

if [[ $MODE == quick ]]; then
  SFT_STEPS=150; RL_STEPS=100; ABLATION_STEPS=60; SAMPLES=64; PROBLEMS=12
else
  SFT_STEPS=300; RL_STEPS=300; ABLATION_STEPS=150; SAMPLES=256; PROBLEMS=24
fi

# Skills. The base model is taught arithmetic and two logic families; RL trains on those plus two families the base
# never saw. All training uses difficulty 0 and non-negative generator seeds (every training mixture draws seeds in
# [0, 2^31)); every evaluation problem comes from a negative seed (prorl eval --held-out-seeds), so no evaluated
# problem was generated from a seed training used. Set (a) is also a difficulty training never uses, set (b) families
# training never uses.
SFT_TASKS="math,logic/digit_sum,logic/sequence_continuation"
RL_MIXTURE=(math logic/digit_sum logic/sequence_continuation logic/base_conversion logic/letter_counting)

EVAL_TRAIN_FAMILIES="math:arithmetic,logic:digit_sum,logic:sequence_continuation,logic:base_conversion,logic:letter_counting"
MAX_NEW_TOKENS=24

PRORL="$REPO/tools/ProRL.Cli/bin/Release/net10.0/prorl"
WORKER="$REPO/src/ProRL.Worker/bin/Release/net10.0/ProRL.Worker.dll"

# The worker reads the appsettings.json beside its DLL; every family mixed in there is switched off before the recipe's
# own mixture is switched on.
default_mixture() {
  python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["Tasks"]["Mixture"]))' "$(dirname "$WORKER")/appsettings.json"
}

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# stage NAME FUNCTION: runs FUNCTION with $OUT=$WORK/NAME.partial unless $WORK/NAME exists, then renames.
stage() {
  local name=$1 fn=$2
  if [[ -d $WORK/$name ]]; then log "skip $name (done)"; return; fi
  if [[ -n ${BOUNDARY_ONLY:-} && " $BOUNDARY_ONLY " != *" $name "* ]]; then log "skip $name (not in BOUNDARY_ONLY)"; return; fi
  log "start $name"
  OUT="$WORK/$name.partial"
  "$fn"
  mv "$OUT" "$WORK/$name"
  log "done $name"
}

build() {
  if [[ -x $PRORL && -f $WORKER && -z ${BOUNDARY_REBUILD:-} ]]; then return; fi
  log "building (Release)"
  dotnet build "$REPO/ProRL.Onnx.sln" -c Release -nologo -v quiet
}

base_model() {
  rm -rf "$OUT"; mkdir -p "$OUT"
  "$PRORL" model init --out "$OUT/init" --preset tiny --seed "$SEED" > "$OUT/init.log"
  "$PRORL" sft --model "$OUT/init" --out "$OUT/model" --tasks "$SFT_TASKS" --difficulty 0 --steps "$SFT_STEPS" \
    --batch 32 --lr 3e-3 --seed "$SEED" --threads "$THREADS" --cache "$OUT/sft-cache" > "$OUT/sft.log"
  rm -rf "$OUT/sft-cache" "$OUT/init"
}

# rl NAME STEPS [KEY=VALUE...]: a worker run from the base model; the run directory survives a kill and resumes.
rl() {
  local steps=$1; shift
  mkdir -p "$OUT"
  local settings=(
    "Model:Path=$WORK/base/model" "Model:CreateIfMissing=none" "Model:Threads=$THREADS"
    "Run:Directory=$OUT/run" "Run:Seed=$SEED" "Run:MaxSteps=$steps"
    "Sft:Steps=0" "Tasks:MinDifficulty=0" "Tasks:MaxDifficulty=0"
    "Rollout:MaxNewTokens=$MAX_NEW_TOKENS" "Validation:MaxNewTokens=$MAX_NEW_TOKENS"
    "Reporting:Console=false" "Reporting:PlotEverySteps=50" "Telemetry:SystemdWatchdog=false"
    # The algorithm is pinned here, so that the experiment does not drift with the worker's shipped defaults. The
    # entropy bonus (0.03) keeps the main run's entropy above its floor: without it the quick run touched 0.046 and the
    # full run collapsed (7 entropy_collapse events); 0.05 made entropy climb and reward fall (measured 2026-11-30).
    "Rollout:SamplesPerPrompt=8" "Rollout:PromptsPerStep=16" "Rollout:Temperature=1.2" "Rollout:TopP=1.0"
    "Algorithm:ClipLow=0.2" "Algorithm:ClipHigh=0.4" "Algorithm:KlEstimator=k3" "Algorithm:KlCoef=0.001"
    "Algorithm:EntropyCoef=0.03" "Algorithm:Advantage=grpo" "Algorithm:DynamicSampling=true" "Algorithm:MaxExtraRounds=2"
    "Algorithm:MiniBatches=2" "Algorithm:LossAggregation=token-mean" "Algorithm:EntropyFloor=0.05"
    "Optimizer:Lr=0.001" "Optimizer:WeightDecay=0" "Optimizer:GradClip=1.0"
    "ReferenceReset:Enabled=true" "ReferenceReset:StallEvaluations=3" "ReferenceReset:DropDelta=0.05"
    "ReferenceReset:KlShareThreshold=0.5" "ReferenceReset:EveryNSteps=20" "ReferenceReset:MinGapSteps=10"
    "ReferenceReset:ResetOptimizer=true"
    "Validation:EveryNSteps=5" "Validation:Items=16" "Validation:SamplesPerItem=4" "Validation:Temperature=0.6"
    # One response per row, as the committed results were computed: packing (the worker's default since) computes the
    # same update with other float rounding, so it would not reproduce them bit for bit.
    "Training:PackSequences=false"
  )
  local family
  for family in $(default_mixture); do settings+=("Tasks:Mixture:$family=0"); done
  for family in "${RL_MIXTURE[@]}"; do settings+=("Tasks:Mixture:$family=1"); done
  settings+=("$@")
  local env_vars=() kv
  for kv in "${settings[@]}"; do env_vars+=("$(printf '%s' "${kv%%=*}" | sed 's/:/__/g')=${kv#*=}"); done
  env "${env_vars[@]}" dotnet "$WORKER" >> "$OUT/worker.log" 2>&1
}

rl_main() { rl "$RL_STEPS"; }
rl_no_reset() { rl "$ABLATION_STEPS" "ReferenceReset:Enabled=false"; }
rl_no_kl() { rl "$ABLATION_STEPS" "Algorithm:KlCoef=0"; }
rl_no_clip_higher() { rl "$ABLATION_STEPS" "Algorithm:ClipHigh=0.2"; }
rl_temperature_06() { rl "$ABLATION_STEPS" "Rollout:Temperature=0.6"; }

# evaluate MODEL_DIR: pass@1…pass@SAMPLES on the three held-out sets.
evaluate() {
  local model=$1
  rm -rf "$OUT"; mkdir -p "$OUT"
  local common=(--model "$model" --samples "$SAMPLES" --max-new-tokens "$MAX_NEW_TOKENS" --temperature 0.6 --top-p 0.95
                --problems "$PROBLEMS" --seed 2026 --held-out-seeds --threads "$THREADS")
  "$PRORL" eval "${common[@]}" --tasks "$EVAL_TRAIN_FAMILIES" --difficulty 0 --out "$OUT/train-families-d0.json" > "$OUT/train-families-d0.log"
  "$PRORL" eval "${common[@]}" --tasks "$EVAL_TRAIN_FAMILIES" --difficulty 1 --out "$OUT/train-families-d1.json" > "$OUT/train-families-d1.log"
  "$PRORL" eval "${common[@]}" --tasks logic:held-out --difficulty 0 --out "$OUT/held-out-families.json" > "$OUT/held-out-families.log"
}
eval_base() { evaluate "$WORK/base/model"; }
eval_rl() { evaluate "$WORK/rl-main/run/policy/$(tr -d '[:space:]' < "$WORK/rl-main/run/policy/LATEST")"; }

report() {
  rm -rf "$OUT"; mkdir -p "$OUT"
  local set
  for set in train-families-d0 train-families-d1 held-out-families; do
    "$PRORL" eval compare "$WORK/eval-base/$set.json" "$WORK/eval-rl/$set.json" --label-a base --label-b rl \
      --list 1000 --out "$OUT/passk-$set.png" > "$OUT/compare-$set.txt"
  done
  local runs=(main="$WORK/rl-main/run" no-reset="$WORK/rl-no-reset/run" no-kl="$WORK/rl-no-kl/run"
              no-clip-higher="$WORK/rl-no-clip-higher/run" temperature-0.6="$WORK/rl-temperature-0.6/run")
  "$PRORL" runs plot "${runs[@]}" --metric entropy --metric reward/mean --out "$OUT/ablations.png" > /dev/null
  "$PRORL" runs plot main="$WORK/rl-main/run" --metric entropy --metric reward/mean --metric kl --out "$OUT/main.png" > /dev/null
  python3 "$HERE/report.py" --work "$WORK" --mode "$MODE" --rl-steps "$RL_STEPS" --ablation-steps "$ABLATION_STEPS" \
    --samples "$SAMPLES" > "$OUT/results.md"
  python3 "$HERE/report.py" --work "$WORK" --mode "$MODE" --rl-steps "$RL_STEPS" --ablation-steps "$ABLATION_STEPS" \
    --samples "$SAMPLES" --fingerprint > "$OUT/fingerprint.json"
}

mkdir -p "$WORK"
START=$(date +%s)
build
stage base base_model
stage rl-main rl_main
stage eval-base eval_base
stage eval-rl eval_rl
stage rl-no-reset rl_no_reset
stage rl-no-kl rl_no_kl
stage rl-no-clip-higher rl_no_clip_higher
stage rl-temperature-0.6 rl_temperature_06
stage report report
if [[ ! -d $WORK/report ]]; then log "stages left to run: re-run without BOUNDARY_ONLY for the report"; exit 0; fi
rm -rf "$RESULTS.partial"; mkdir -p "$RESULTS.partial"
cp "$WORK/report/"*.md "$WORK/report/"*.json "$WORK/report/"*.png "$WORK/report/"*.txt "$RESULTS.partial/"
rm -rf "$RESULTS"; mv "$RESULTS.partial" "$RESULTS"
log "results in $RESULTS ($(( $(date +%s) - START )) s this invocation)"
