#!/usr/bin/env python3
"""Writes landing files for the retail example: one batch = one orders CSV and one customers CSV.

    python3 generate.py                       # batch 1 into ./landing
    python3 generate.py --batch 2 --orders 500
    python3 generate.py --batch 3 --bad-amount  # one negative amount: the FAIL UPDATE expectation trips

Orders carry a few rows without an order_id (dropped by silver) and a few unknown statuses
(counted by a warn expectation). Deterministic for a given --seed and --batch.
"""
import argparse
import csv
import os
import random

COUNTRIES = ["DE", "FR", "US", "JP", "BR", "IN"]
STATUSES = ["placed", "shipped", "delivered", "returned"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "landing"))
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--orders", type=int, default=1000)
    ap.add_argument("--customers", type=int, default=50, help="customers per batch (ids continue across batches)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--bad-amount", action="store_true")
    a = ap.parse_args()
    rnd = random.Random(a.seed * 1000 + a.batch)
    os.makedirs(os.path.join(a.out, "orders"), exist_ok=True)
    os.makedirs(os.path.join(a.out, "customers"), exist_ok=True)

    first_customer = (a.batch - 1) * a.customers + 1
    last_customer = a.batch * a.customers
    with open(os.path.join(a.out, "customers", f"customers_{a.batch:04d}.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["customer_id", "name", "country", "updated_at"])
        for cid in range(first_customer, last_customer + 1):
            w.writerow([cid, f"Customer {cid}", rnd.choice(COUNTRIES), f"2026-01-{a.batch:02d} 00:00:00"])
        # A changed record of an earlier customer: the newest one wins in silver.
        if a.batch > 1:
            w.writerow([1, "Customer 1", COUNTRIES[a.batch % len(COUNTRIES)], f"2026-01-{a.batch:02d} 12:00:00"])

    with open(os.path.join(a.out, "orders", f"orders_{a.batch:04d}.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["order_id", "customer_id", "order_ts", "amount", "status"])
        base = (a.batch - 1) * 1_000_000
        for i in range(a.orders):
            oid = "" if i % 97 == 5 else base + i + 1
            status = "lost" if i % 113 == 7 else rnd.choice(STATUSES)
            amount = rnd.uniform(1, 500)
            if a.bad_amount and i == a.orders // 2:
                amount = -42.0
            ts = f"2026-01-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00"
            w.writerow([oid, rnd.randint(1, last_customer), ts, f"{amount:.2f}", status])


if __name__ == "__main__":
    main()
