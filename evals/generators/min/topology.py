"""Service names and call graphs for the two shapes the held-out cases are converted from.

``bench``: a Java microservice benchmark (train-booking style, ~40 services behind a gateway).
``pet``: an AWS pet-adoption application (~40 components: front end, containers, functions,
tables, queues). Each topology is a tree of ``calls`` edges rooted at the entry point, so a
fault's effect can be propagated to every caller above the culprit.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

BENCH_NAMES = (
    "ts-ui-dashboard",
    "ts-gateway-service",
    "ts-auth-service",
    "ts-user-service",
    "ts-verification-code-service",
    "ts-travel-service",
    "ts-travel2-service",
    "ts-route-service",
    "ts-station-service",
    "ts-train-service",
    "ts-basic-service",
    "ts-price-service",
    "ts-config-service",
    "ts-seat-service",
    "ts-order-service",
    "ts-order-other-service",
    "ts-preserve-service",
    "ts-preserve-other-service",
    "ts-contacts-service",
    "ts-assurance-service",
    "ts-food-service",
    "ts-food-map-service",
    "ts-consign-service",
    "ts-consign-price-service",
    "ts-security-service",
    "ts-inside-payment-service",
    "ts-payment-service",
    "ts-cancel-service",
    "ts-rebook-service",
    "ts-execute-service",
    "ts-notification-service",
    "ts-travel-plan-service",
    "ts-route-plan-service",
    "ts-ticketinfo-service",
    "ts-admin-basic-info-service",
    "ts-admin-order-service",
    "ts-admin-route-service",
    "ts-admin-travel-service",
    "ts-admin-user-service",
    "ts-news-service",
    "ts-voucher-service",
    "ts-avatar-service",
    "ts-delivery-service",
    "ts-wait-order-service",
)

PET_NAMES = (
    "petsite",
    "petsite-alb",
    "petsearch",
    "payforadoption",
    "petlistadoptions",
    "pethistory",
    "petadoptionshistory-fn",
    "petstatusupdater",
    "petfood",
    "petfood-metric",
    "ddb-pets-table",
    "aurora-adoptions",
    "sqs-adoptions-queue",
    "s3-pet-images",
    "apigw-pet-status",
    "sfn-pet-workflow",
    "sns-adoption-topic",
    "traffic-generator",
    "petsearch-cache",
    "payforadoption-worker",
    "lambda-cleanup",
    "lambda-image-resize",
    "lambda-notify",
    "cloudmap-registry",
    "ssm-parameters",
    "secrets-rds",
    "ecs-cluster-petsearch",
    "eks-nodegroup-petsite",
    "nat-gateway-a",
    "nat-gateway-b",
    "petlistadoptions-db-proxy",
    "pethistory-otel-collector",
    "xray-daemon",
    "petsite-cdn",
    "ddb-petfood-table",
    "kinesis-petfood-stream",
    "lambda-petfood-agg",
    "petsearch-search-index",
    "pet-adoption-portal",
    "vet-appointments",
)


@dataclass
class Topology:
    """A call tree: ``parent[name]`` is the caller of ``name`` (the entry point has none)."""

    names: list[str]
    parent: dict[str, str | None]
    children: dict[str, list[str]] = field(default_factory=dict)

    @property
    def entry(self) -> str:
        return self.names[0]

    def ancestors(self, name: str) -> list[str]:
        """Callers of ``name`` from the nearest up to the entry point."""
        chain: list[str] = []
        current = self.parent.get(name)
        while current is not None:
            chain.append(current)
            current = self.parent.get(current)
        return chain

    def depth(self, name: str) -> int:
        return len(self.ancestors(name))


def build_topology(
    shape: str, size: int, rng: random.Random, pinned: dict[str, str], include: tuple[str, ...] = ()
) -> Topology:
    """A random call tree of ``size`` names holding ``include``; ``pinned`` forces child -> caller edges."""
    pool = list(BENCH_NAMES if shape == "bench" else PET_NAMES)
    entry = pool[0]
    mids = pool[1:3] if shape == "bench" else pool[1:2]
    rest = [n for n in pool if n != entry and n not in mids]
    must = [n for n in (*include, *(n for pair in pinned.items() for n in pair)) if n not in (entry, *mids)]
    extra = [n for n in rest if n not in must]
    rng.shuffle(extra)
    chosen = [entry, *mids, *dict.fromkeys(must)]
    chosen += extra[: max(0, size - len(chosen))]
    parent: dict[str, str | None] = {entry: None}
    for i, name in enumerate(mids):
        parent[name] = entry if i == 0 else mids[0]
    placed = [entry, *mids]
    pending = [n for n in chosen if n not in parent]
    # Pinned parents go first so their children can attach to them.
    pending.sort(key=lambda n: (n not in pinned.values(), n in pinned))
    for name in pending:
        if name in pinned and pinned[name] in parent:
            parent[name] = pinned[name]
        else:
            candidates = [p for p in placed if p != entry] or [entry]
            parent[name] = rng.choice(candidates[: max(3, len(candidates) // 2 + 2)])
        placed.append(name)
    children: dict[str, list[str]] = {n: [] for n in placed}
    for child, par in parent.items():
        if par is not None:
            children[par].append(child)
    return Topology(names=placed, parent=parent, children=children)
