import { backupMatrixSuite } from './backup-matrix.js';

backupMatrixSuite({ version: 15, repo: 's3', compress: 'zst', encrypted: true });
