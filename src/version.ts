/** Version written into repository files and printed by `version`; kept at the pgBackRest release we mirror. */
export const VERSION = '2.45';
export const PROJECT = 'pgBackRest';
