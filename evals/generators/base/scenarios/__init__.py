"""One module per scenario; :data:`SCENARIOS` maps case ids to their builders.

Each module exposes ``CASE_ID`` and ``build(rng) -> Scenario``. The demo incident is kept
apart (:data:`DEMO`) because it is written into the package, not into ``evals/cases``.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from evals.generators.base.rng import CaseRandom
from evals.generators.base.scenario import Scenario
from evals.generators.base.scenarios import (
    cascade_fx_rates_config,
    classic_no_oauth,
    code_entitlements_npe,
    concurrent_problems,
    config_ledger_pool,
    demo_checkout_deployment,
    dependency_external_otp,
    dependency_orders_db,
    deploy_pricing_latency,
    false_alarm_latency_blip,
    managed_disk_full,
    network_inventory_nic,
    resource_noisy_neighbour,
    traffic_onsale_spike,
)

Builder = Callable[[CaseRandom], Scenario]


def _registry(*modules: ModuleType) -> dict[str, Builder]:
    out: dict[str, Builder] = {}
    for module in modules:
        case_id: str = module.CASE_ID
        if case_id in out:
            raise ValueError(f"duplicate case id {case_id!r} in {module.__name__}")
        out[case_id] = module.build
    return out


DEMO: dict[str, Builder] = _registry(demo_checkout_deployment)
SCENARIOS: dict[str, Builder] = _registry(
    deploy_pricing_latency,
    config_ledger_pool,
    code_entitlements_npe,
    resource_noisy_neighbour,
    dependency_orders_db,
    dependency_external_otp,
    network_inventory_nic,
    traffic_onsale_spike,
    cascade_fx_rates_config,
    false_alarm_latency_blip,
    concurrent_problems,
    classic_no_oauth,
    managed_disk_full,
)
