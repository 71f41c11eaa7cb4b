from .io import (ArtifactError, atomic_write_json, check_checkpoint,
                 config_hash, file_digest, latest_checkpoint,
                 load_json_artifact)
from .tool_errors import one_line, user_errors

__all__ = [
    'ArtifactError', 'check_checkpoint', 'one_line', 'user_errors',
    'atomic_write_json', 'load_json_artifact', 'config_hash', 'file_digest',
    'latest_checkpoint'
]
