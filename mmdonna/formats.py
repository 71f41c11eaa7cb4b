"""Every work-dir artefact format of mmdonna and its version, in one place.

Each JSON artefact carries ``format=<one of these>``;
:func:`mmdonna.utils.load_json_artifact` refuses a file of another format (or
version) in one line. Bump the version of a format whose content changes
meaning, so that an old work dir is refused instead of misread.
"""

#: ``block_library.json``: per block, per option NSR mean/std, params, FLOPs.
BLOCK_LIBRARY = 'mmdonna.block_library.v2'
#: ``block_library.partial.json``: scoring in progress (resumable).
BLOCK_LIBRARY_PARTIAL = 'mmdonna.block_library_partial.v2'
#: ``latency_lut.json``: per option, per target latency, calibration.
LATENCY_LUT = 'mmdonna.latency_lut.v1'
#: ``<lut>_validation.json``: whole architectures measured against the LUT.
LATENCY_VALIDATION = 'mmdonna.latency_validation.v1'
#: ``filtered_space.json``: the KD filter's kept options per block/target.
FILTERED_SPACE = 'mmdonna.filtered_space.v1'
#: ``search_state.json``: the exact front or NSGA-II population (resume).
SEARCH_STATE = 'mmdonna.search_state.v1'
#: ``hil_measurements.json``: whole models measured on the target.
HIL_MEASUREMENTS = 'mmdonna.hil_measurements.v1'
#: ``pareto.json``: the measured front of every target.
PARETO = 'mmdonna.pareto.v1'
#: ``teacher/teacher_done.json``, ``bkd/bkd_done.json``: stage markers.
STAGE_DONE = 'mmdonna.stage_done.v1'
#: ``subnets/manifest.json``: each exported subnet's code, export settings
#: and the digest of its weights.
SUBNET_MANIFEST = 'mmdonna.subnet_manifest.v1'
#: ``finetune/<name>/finetune_run.json``: the settings of a finetune run.
FINETUNE_RUN = 'mmdonna.finetune_run.v1'
#: ``finetune/<name>/finetune_done.json``: a finetuned model's metric.
FINETUNE_DONE = 'mmdonna.finetune_done.v1'
#: ``predictor/results.json``: finetuned architectures of the predictor.
PREDICTOR_RESULTS = 'mmdonna.predictor_results.v1'
#: ``one_shot/scores.json``: one-shot quality of architectures.
ONE_SHOT_SCORES = 'mmdonna.one_shot_scores.v1'
#: generated datasets' manifests (shapes COCO, YOLOP road scenes).
SHAPES_COCO = 'mmdonna.shapes_coco.v2'  # v2: instance masks
YOLOP_ROAD_SCENES = 'mmdonna.yolop_road_scenes.v1'
