import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../config.js';
import { isJobDefinition, type JobDefinition } from './core/defineJob.js';

export const jobsDir = path.join(projectRoot, 'jobs');

/** Every job in jobs/: a job is one file whose default export is its definition. */
export async function loadJobs(dir = jobsDir): Promise<JobDefinition[]> {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .sort();
  const jobs: JobDefinition[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as { default?: unknown };
    if (!isJobDefinition(mod.default))
      throw new Error(`jobs/${file} must export a job definition (defineJob) as default`);
    jobs.push(mod.default);
  }
  return jobs;
}

export async function findJob(name: string): Promise<JobDefinition | undefined> {
  return (await loadJobs()).find((j) => j.name === name);
}

/** Jobs that are stages of the data flow, in flow order. */
export function pipelineJobs(jobs: JobDefinition[]): JobDefinition[] {
  return jobs.filter((j) => j.stage !== undefined).sort((a, b) => a.stage! - b.stage!);
}
