"""mmdonna registries: children of MMEngine's, in scope ``mmdonna``.

``locations`` lets ``type='mmdonna.X'`` in any config resolve without a manual
import: the registry imports the listed modules the first time it is searched.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import \
    RUNNER_CONSTRUCTORS as MMENGINE_RUNNER_CONSTRUCTORS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import \
    WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

RUNNERS = Registry(
    'runner',
    parent=MMENGINE_RUNNERS,
    scope='mmdonna',
    locations=['mmdonna.supernet'])
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor',
    parent=MMENGINE_RUNNER_CONSTRUCTORS,
    scope='mmdonna',
    locations=['mmdonna.supernet'])
LOOPS = Registry(
    'loop',
    parent=MMENGINE_LOOPS,
    scope='mmdonna',
    locations=['mmdonna.stages'])
HOOKS = Registry(
    'hook',
    parent=MMENGINE_HOOKS,
    scope='mmdonna',
    locations=['mmdonna.hooks'])
LOG_PROCESSORS = Registry(
    'log processor',
    parent=MMENGINE_LOG_PROCESSORS,
    scope='mmdonna',
    locations=['mmdonna.supernet'])

DATASETS = Registry(
    'dataset',
    parent=MMENGINE_DATASETS,
    scope='mmdonna',
    locations=['mmdonna.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler',
    parent=MMENGINE_DATA_SAMPLERS,
    scope='mmdonna',
    locations=['mmdonna.datasets'])
TRANSFORMS = Registry(
    'transform',
    parent=MMENGINE_TRANSFORMS,
    scope='mmdonna',
    locations=['mmdonna.datasets'])

MODELS = Registry(
    'model',
    parent=MMENGINE_MODELS,
    scope='mmdonna',
    locations=[
        'mmdonna.search_space', 'mmdonna.supernet', 'mmdonna.distill',
        'mmdonna.export'
    ])
MODEL_WRAPPERS = Registry(
    'model_wrapper',
    parent=MMENGINE_MODEL_WRAPPERS,
    scope='mmdonna',
    locations=['mmdonna.supernet'])
WEIGHT_INITIALIZERS = Registry(
    'weight initializer',
    parent=MMENGINE_WEIGHT_INITIALIZERS,
    scope='mmdonna',
    locations=['mmdonna.export'])

OPTIMIZERS = Registry(
    'optimizer',
    parent=MMENGINE_OPTIMIZERS,
    scope='mmdonna',
    locations=['mmdonna.supernet'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper',
    parent=MMENGINE_OPTIM_WRAPPERS,
    scope='mmdonna',
    locations=['mmdonna.supernet'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
    scope='mmdonna',
    locations=['mmdonna.supernet'])
PARAM_SCHEDULERS = Registry(
    'parameter scheduler',
    parent=MMENGINE_PARAM_SCHEDULERS,
    scope='mmdonna',
    locations=['mmdonna.supernet'])

METRICS = Registry(
    'metric',
    parent=MMENGINE_METRICS,
    scope='mmdonna',
    locations=['mmdonna.datasets'])
EVALUATOR = Registry(
    'evaluator',
    parent=MMENGINE_EVALUATOR,
    scope='mmdonna',
    locations=['mmdonna.datasets'])

# Latency estimators, surrogates, KD filters, search problems.
TASK_UTILS = Registry(
    'task util',
    parent=MMENGINE_TASK_UTILS,
    scope='mmdonna',
    locations=[
        'mmdonna.latency', 'mmdonna.surrogate', 'mmdonna.filter',
        'mmdonna.search'
    ])

VISUALIZERS = Registry(
    'visualizer',
    parent=MMENGINE_VISUALIZERS,
    scope='mmdonna',
    locations=['mmdonna.visualization'])
VISBACKENDS = Registry(
    'vis_backend',
    parent=MMENGINE_VISBACKENDS,
    scope='mmdonna',
    locations=['mmdonna.visualization'])
