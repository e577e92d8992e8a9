"""ChannelAttribution's Markov model on the benchmark's path table, for bench/attribution.ts.

usage: attribution.py <path table (.csv or .csv.gz, ';'-separated)> <replicate> <nsim_start> <seed>
Prints one JSON document: seconds, the package version and credit by channel. The table is
replicated `replicate` times as rows, as the TypeScript side does, before it is timed.
"""
import json
import sys
import time

import pandas as pd
import ChannelAttribution as ca


def main() -> None:
    file, replicate, nsim, seed = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    table = pd.read_csv(file, sep=';')
    rows = pd.concat([table] * replicate, ignore_index=True)
    t0 = time.perf_counter()
    result = ca.markov_model(rows, 'path', 'total_conversions', var_value='total_conversion_value', var_null='total_null',
                             nsim_start=nsim, seed=seed, verbose=0, flg_pro=False)
    seconds = time.perf_counter() - t0
    print(json.dumps({
        'package': f'ChannelAttribution {getattr(ca, "__version__", "2.2.5")}',
        'rows': len(rows),
        'seconds': seconds,
        'markov_credit': dict(zip(result.channel_name, map(float, result.total_conversions))),
        'markov_value': dict(zip(result.channel_name, map(float, result.total_conversion_value))),
    }))


if __name__ == '__main__':
    main()
