"""Object storage (report files): the port, its two adapters, and ``open_storage`` choosing one."""

from __future__ import annotations

from backend.config import Settings
from backend.security import storage_signing_key
from backend.service.storage.links import LinkSigner
from backend.service.storage.local import LocalStorage
from backend.service.storage.names import check_path
from backend.service.storage.port import ObjectInfo, ObjectStorage

__all__ = ["LocalStorage", "ObjectInfo", "ObjectStorage", "check_path", "local_storage", "open_storage"]


def open_storage(settings: Settings) -> ObjectStorage:
    """The object storage the settings name (``WELLNESS_STORAGE_BACKEND``)."""
    if settings.storage_backend == "local":
        return local_storage(settings)
    if settings.storage_backend == "gcs":
        from backend.service.storage.gcs import GcsStorage, gcs_client  # the Google client loads slowly

        assert settings.storage_bucket is not None  # Settings refuse gcs without a bucket
        client = gcs_client(
            project=settings.google_cloud_project, emulator_host=settings.storage_emulator_host
        )
        return GcsStorage(client, settings.storage_bucket)
    raise ValueError(f"no storage backend {settings.storage_backend!r}")


def local_storage(settings: Settings) -> LocalStorage:
    """The files under ``data_dir/objects``, with links to this API signed by the settings' key."""
    signer = LinkSigner(key=storage_signing_key(settings), base_url=settings.base_url)
    return LocalStorage(settings.objects_dir, signer)
