import { join } from 'node:path';
import { REPO_ROOT } from './run.js';

/**
 * The shared specification sits beside the project checkout (`../shared/spec`), for developers and
 * CI alike. Its samples are real pgBackRest 2.45 files.
 */
export const SPEC_DIR = join(REPO_ROOT, '..', 'shared', 'spec');
export const SPEC_SAMPLES = join(SPEC_DIR, 'samples');
