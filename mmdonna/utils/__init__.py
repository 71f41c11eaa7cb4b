from .io import (atomic_write_json, config_hash, file_digest,
                 latest_checkpoint, load_json_artifact)

__all__ = [
    'atomic_write_json', 'load_json_artifact', 'config_hash', 'file_digest',
    'latest_checkpoint'
]
