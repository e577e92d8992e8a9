import { fileURLToPath } from 'node:url';

/** A public data set carried in the repository (`data/public/`; sources, licences and trimming in its README). */
export const publicDataFile = (name: string): string =>
  fileURLToPath(new URL(`../../../data/public/${name}`, import.meta.url));

/** ChannelAttribution's example journeys: 10,000 paths over 12 channels. */
export const CHANNEL_ATTRIBUTION_FILE = publicDataFile('channelattribution_pathdata.csv.gz');
