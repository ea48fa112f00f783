#!/usr/bin/env python3
"""Writes landing files for the retail example: one batch = one orders CSV and one customers CSV.

    python3 generate.py                       # batch 1 into ./landing
    python3 generate.py --batch 2 --orders 500
    python3 generate.py --batch 3 --bad-amount  # one negative amount: the FAIL UPDATE expectation trips
    python3 generate.py --batch 2 --malformed   # plus a change file with a new column and malformed rows

Orders carry a few rows without an order_id (dropped by silver) and a few unknown statuses
(counted by a warn expectation). Each batch also writes a customers change feed (JSON lines:
customer_id, op INSERT|UPDATE|DELETE, seq, name, country) whose lines are shuffled (out of order
within the file) and which carries a late event: a change whose sequence number falls before a
change of the previous batch. `--malformed` adds `changes_NNNN_extra.json` with a new column
(`tier`), a sequence number that is not a number and a line that is not JSON. Deterministic for a
given --seed and --batch.
"""
import argparse
import csv
import datetime
import json
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
    ap.add_argument("--malformed", action="store_true")
    a = ap.parse_args()
    rnd = random.Random(a.seed * 1000 + a.batch)
    os.makedirs(os.path.join(a.out, "orders"), exist_ok=True)
    os.makedirs(os.path.join(a.out, "customers"), exist_ok=True)

    first_customer = (a.batch - 1) * a.customers + 1
    last_customer = a.batch * a.customers
    day = datetime.date(2026, 1, 1) + datetime.timedelta(days=a.batch - 1)  # batch 1 is 2026-01-01, one day per batch
    with open(os.path.join(a.out, "customers", f"customers_{a.batch:04d}.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["customer_id", "name", "country", "updated_at"])
        for cid in range(first_customer, last_customer + 1):
            w.writerow([cid, f"Customer {cid}", rnd.choice(COUNTRIES), f"{day} 00:00:00"])
        # A changed record of an earlier customer: the newest one wins in silver.
        if a.batch > 1:
            w.writerow([1, "Customer 1", COUNTRIES[a.batch % len(COUNTRIES)], f"{day} 12:00:00"])

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

    write_changes(a, rnd, first_customer, last_customer)


def write_changes(a, rnd, first, last):
    """The customers change feed of one batch (sequence numbers batch * 10000 + n, unique)."""
    os.makedirs(os.path.join(a.out, "customer_changes"), exist_ok=True)
    b, seq = a.batch, a.batch * 10000
    events = []

    def ev(cid, op, name=None, country=None, s=None):
        nonlocal seq
        if s is None:
            seq += 1
            s = seq
        events.append({"customer_id": cid, "op": op, "seq": s, "name": name, "country": country})

    for cid in range(first, last + 1):
        ev(cid, "INSERT", f"Customer {cid}", COUNTRIES[cid % len(COUNTRIES)])
    # The first new customer gets an update identical to its insert: no new SCD2 version.
    ev(first, "UPDATE", f"Customer {first}", COUNTRIES[first % len(COUNTRIES)])
    # The second one gets an update far ahead in sequence; the next batch brings a late change before it.
    ev(first + 1, "UPDATE", f"Customer {first + 1} (moved)", "US", s=b * 10000 + 8000)
    if b > 1:
        prev = first - a.customers
        ev(prev + 1, "UPDATE", f"Customer {prev + 1} (late)", "JP", s=(b - 1) * 10000 + 5000)
        for cid in rnd.sample(range(1, first), min(5, first - 1)):
            if cid % a.customers in (1, 2, 3):
                continue
            ev(cid, "UPDATE", f"Customer {cid} v{b}", rnd.choice(COUNTRIES))
        ev(prev + 3, "DELETE")
    if b > 2:
        gone = first - 2 * a.customers + 3
        ev(gone, "INSERT", f"Customer {gone} (back)", "BR")
    rnd.shuffle(events)
    with open(os.path.join(a.out, "customer_changes", f"changes_{b:04d}.json"), "w") as f:
        for e in events:
            f.write(json.dumps(e) + "\n")
    if a.malformed:
        with open(os.path.join(a.out, "customer_changes", f"changes_{b:04d}_extra.json"), "w") as f:
            f.write(json.dumps({"customer_id": first + 4, "op": "UPDATE", "seq": b * 10000 + 9000, "name": f"Customer {first + 4}",
                                "country": "DE", "tier": "gold"}) + "\n")
            f.write(json.dumps({"customer_id": first + 5, "op": "UPDATE", "seq": "late", "name": "bad seq", "country": "FR"}) + "\n")
            f.write('{"customer_id": 77, "op": "UPD\n')


if __name__ == "__main__":
    main()
