# DONNAv2 search on the digits MobileNetV2: BKD supernet -> block library ->
# latency LUT -> KD filter -> the exact Pareto front of (block-loss sum,
# latency) -> whole-model re-measurement of the front. Runs from nothing with
#   python tools/search.py configs/classification/mobilenetv2_digits_search.py
# (trains the teacher and the BKD supernet first when they are missing).
_base_ = [
    './mobilenetv2_digits_bkd.py',
    '../_base_/latency/host_ort.py',
]

# teacher_config (inherited from the bkd config) is trained into
# <work_dir>/teacher when model.teacher_checkpoint does not exist, with these
# overrides, e.g. a shorter run:
# --cfg-options teacher_cfg_options.train_cfg.max_epochs=2
teacher_cfg_options = dict()

# The BKD run (tools/search.py runs it before searching): the bkd config's
# loop and hooks, kept reachable here because this config replaces them.
bkd_train_cfg = {{_base_.train_cfg}}
bkd_param_scheduler = {{_base_.param_scheduler}}
bkd_custom_hooks = {{_base_.custom_hooks}}
custom_hooks = []
# the search steps no schedule (and reads no data)
param_scheduler = None

# Quality surrogate, lower is better: DONNAv2's plain sum of block NSRs.
# On this teacher the early blocks have the larger NSRs (layer2 0.15-0.45,
# layer6 ~0.05), and the plain sum ranked finetuned architectures better than
# the per-block mean-normalised one in every benchmarks/surrogate_ranking.py
# run (7 runs: Kendall tau 0.55-0.80 vs 0.50-0.76).
surrogate = dict(type='mmdonna.BlockLossSum')

# DONNAv2 KD filter, per target: drop options dominated in (latency, NSR)
# with 5% slack (LUT entries on a shared CPU jitter by a few percent: a
# near-tie is not a reason to drop an option), keep >= 2 options per block so
# the search still has a choice, and drop options with more than twice the
# parameters of the teacher block (the expand-6 depth-2 options: they rarely
# pay off on a 10-class problem).
kd_filter = dict(
    type='mmdonna.KDFilter',
    slack=0.05,
    min_keep=2,
    max_cost_ratio=dict(params=2.0))

train_cfg = dict(
    _delete_=True,
    type='mmdonna.DonnaSearchLoop',
    # 'auto': the block-loss sum and the LUT latency add up over blocks, so
    # the front is computed exactly, block by block (milliseconds here);
    # 'nsga2' runs the papers' NSGA-II instead (it also runs under 'auto'
    # for a surrogate that does not add up, e.g. a non-linear predictor)
    algorithm='auto',
    # NSGA-II only: the filtered space has ~1e3-1e5 architectures: 48 x 40 =
    # 1,920 evaluations take about a second and find most of the front (see
    # benchmarks/search_quality.py)
    pop_size=48,
    n_gen=40,
    seed=0,
    # the KD filter orders each block's kept options by latency, so SBX and
    # polynomial mutation on the option index are meaningful
    operators='ordinal',
    # e.g. dict(latency_ms=2.0) or dict(latency_ms={'host-ort-cpu-1t': 2.0})
    constraints=None,
    hardware_in_the_loop=True,
    num_random_samples=1000)
