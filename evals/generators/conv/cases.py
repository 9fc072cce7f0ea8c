"""The ten case specifications, each with different converter choices."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from evals.generators.conv import bench, pet
from evals.generators.conv.common import write_case
from evals.generators.conv.pet import Decoy


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


BENCH: tuple[bench.BenchSpec, ...] = (
    bench.BenchSpec(
        "conv-tt-exception-order",
        "ts-order-service",
        "exception",
        _t("2024-05-14T09:40:00"),
        rel_style="from",
        metric_dims="entity",
        metric_keys="short",
        span_fail="flag",
        log_style="lower",
        impacted_extra=("ts-preserve-service",),
    ),
    bench.BenchSpec(
        "conv-tt-delay-station",
        "ts-station-service",
        "delay",
        _t("2024-05-15T14:10:00"),
        rel_style="to",
        metric_dims="name",
        metric_keys="prom",
        span_fail="status",
        log_style="none",
        alert_on=("ts-travel-service", GATEWAY := "ts-ui-dashboard"),
        gz=("spans",),
    ),
    bench.BenchSpec(
        "conv-tt-cpu-seat",
        "ts-seat-service",
        "cpu",
        _t("2024-05-16T03:25:00"),
        rel_style="both",
        metric_dims="entity",
        metric_keys="prom",
        span_fail="flag",
        log_style="status",
        status="CLOSED",
        noise="ts-ui-dashboard",
    ),
    bench.BenchSpec(
        "conv-tt-wrongret-price",
        "ts-price-service",
        "wrong_return",
        _t("2024-05-17T11:05:00"),
        rel_style="from",
        metric_dims="name",
        metric_keys="short",
        span_fail="status",
        log_style="lower",
        wrong_caller="ts-basic-service",
        alert_on=(GATEWAY,),
        impacted_extra=("ts-travel-service", "ts-travel2-service"),
    ),
    bench.BenchSpec(
        "conv-tt-cpu-route-pods",
        "ts-route-service",
        "cpu",
        _t("2024-05-18T20:50:00"),
        rel_style="to",
        metric_dims="pod",
        metric_keys="short",
        span_fail="flag",
        log_style="status",
        noise="ts-food-service",
        gz=("spans", "logs"),
    ),
)

PET: tuple[pet.PetSpec, ...] = (
    pet.PetSpec(
        "conv-pet-config-petsearch",
        "petsearch",
        "CUSTOM_CONFIGURATION",
        "configuration",
        "latency",
        _t("2023-08-02T16:00:00"),
        decoys=(Decoy("pethistory", "CUSTOM_DEPLOYMENT", -170),),
    ),
    pet.PetSpec(
        "conv-pet-deploy-payforadoption",
        "payforadoption",
        "CUSTOM_DEPLOYMENT",
        "deployment",
        "errors",
        _t("2023-08-03T10:30:00"),
        types="service",
        rel_style="to",
        event_key="dt.source_entity",
        alert_on=("PetSite-ALB",),
        impacted_extra=("PetSite",),
        decoys=(
            Decoy("petlistadoptions", "CUSTOM_CONFIGURATION", -25),
            Decoy("PetSite", "CUSTOM_DEPLOYMENT", 15),
        ),
    ),
    pet.PetSpec(
        "conv-pet-ddb-throttle",
        "ddbpetadoption",
        "CUSTOM_CONFIGURATION",
        "configuration",
        "throttle",
        _t("2023-08-04T21:15:00"),
        dims="name",
        keys=("latency_p50", "requests", "availability"),
        alert_on=("petsearch",),
        impacted_extra=("PetSite", "payforadoption"),
        status="CLOSED",
        decoys=(Decoy("petsearch", "CUSTOM_DEPLOYMENT", -240),),
    ),
    pet.PetSpec(
        "conv-pet-lambda-statusupdater",
        "statusupdater",
        "CUSTOM_DEPLOYMENT",
        "code",
        "errors",
        _t("2023-08-05T07:45:00"),
        types="all_custom",
        event_key="dt.source_entity",
        alert_on=("PetAdoptionStatusUpdater-API",),
        strength=0.6,
        change_lead_min=10,
        decoys=(Decoy("ReadDynamoDB", "CUSTOM_DEPLOYMENT", -8),),
    ),
    pet.PetSpec(
        "conv-pet-config-pethistory",
        "pethistory",
        "CUSTOM_CONFIGURATION",
        "configuration",
        "latency",
        _t("2023-08-06T13:20:00"),
        types="all_custom",
        rel_style="to",
        dims="name",
        alert_on=("PetSite",),
        strength=0.5,
        impacted_extra=("petadoptionshistory-cleanup",),
        status="CLOSED",
        noise="petsearch",
        decoys=(
            Decoy("petfood", "CUSTOM_CONFIGURATION", -12),
            Decoy("rds-pethistory", "CUSTOM_CONFIGURATION", -300),
        ),
    ),
)


def generate(out: Path, seed: int = 7) -> list[Path]:
    """Write all ten cases under `out`; same seed, same bytes."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for bspec in BENCH:
        meta, tenant = bench.build(bspec, seed)
        written.append(write_case(out, meta, tenant, bspec.gz))
    for pspec in PET:
        meta, tenant = pet.build(pspec, seed)
        written.append(write_case(out, meta, tenant))
    return written
