// Page view models, shared by the live site (src/server) and the static export.
export { DEFAULT_COMPARE, parseCompareOptions, shortLabels, type CompareOptions, type ReportContext } from './page-common.ts';
export { rowSignature, runRow, runsPage } from './runs-page.ts';
export { comparePage } from './compare-page.ts';
export { runPage, type ImageView } from './run-page.ts';
