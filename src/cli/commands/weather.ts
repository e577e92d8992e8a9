import path from 'node:path';
import type { Command } from 'commander';
import { checkGzip, openSource } from '../../ingest/import/openSource.js';
import { importWeather } from '../../weather/importWeather.js';
import { weatherFormatOf, weatherFormats, weatherRecords, type WeatherFormat } from '../../weather/weatherRecords.js';
import { CliError, printJson, status } from '../output.js';
import { createProgress } from '../progress.js';
import { withDatabase } from '../withDatabase.js';

export function registerWeatherCommands(program: Command): void {
  const weather = program.command('weather').description('the daily weather table per region (docs/weather.md)');
  weather
    .command('import <file>')
    .description(
      'load daily weather rows (date, region, temperature °C, precipitation mm, condition) from CSV or NDJSON (.gz or plain); re-importing changes nothing, days after today are forecasts',
    )
    .option('--format <format>', `one of ${weatherFormats.join(', ')}; default: from the file name`)
    .option('--partial', 'store the valid rows even when some are bad (by default a bad row stores nothing)')
    .option('--json', 'print {read, inserted, updated, unchanged, forecast, rejected} as JSON')
    .action(async (file: string, opts: { format?: string; partial?: boolean; json?: boolean }) => {
      const format = (opts.format ?? weatherFormatOf(file)) as WeatherFormat | undefined;
      if (!format || !weatherFormats.includes(format))
        throw new CliError(`--format must be one of ${weatherFormats.join(', ')} (the file name does not say)`);
      const gzip = await checkGzip(file);
      if (!gzip.ok) throw new CliError(`${file}: ${gzip.error}; nothing was imported`);
      const progress = createProgress(`importing ${path.basename(file)} (rows)`);
      const source = openSource(file);
      const result = await withDatabase((db) =>
        importWeather(db, weatherRecords(source.stream, format), {
          partial: opts.partial,
          onProgress: progress.update,
        }),
      ).finally(() => progress.stop());
      if (!result.ok) {
        if (opts.json) printJson({ error: result.error.message, rejected: result.error.rejected });
        else for (const r of result.error.rejected) status(`line ${r.line}: ${r.field}: ${r.reason}`);
        throw new CliError(result.error.message);
      }
      const s = result.value;
      if (opts.json) printJson(s);
      else {
        for (const r of s.rejected) status(`line ${r.line}: ${r.field}: ${r.reason} (skipped)`);
        status(
          `read ${s.read}, inserted ${s.inserted}, updated ${s.updated}, unchanged ${s.unchanged}, forecast ${s.forecast}, rejected ${s.rejected.length}`,
        );
      }
    });
}
