/**
 * The capture report: one self-contained HTML page per capture (charts as inline SVG rendered by vega in Node,
 * frames dissected the way Wireshark shows them, also as text) and a page comparing lab stacks. A library: no
 * Pulumi import; it reads verifier Reports, and what the lab command read from stack outputs.
 */
export { dissectFrame, wiresharkTime } from './dissect';
export type { Dissection, DissectedLayer, FrameInput, ByteRange } from './dissect';
export { dissectionText, hexPane } from './text';
export { renderReportPage, writeReportPage, sampleDissections, pathRows, HEADLINE } from './page';
export type { PageOptions } from './page';
export { renderSvg, timelineSpec, pathsSpec, protocolsSpec, comparisonSpec } from './charts';
export * from './evidence';
export { renderComparisonPage, stackClassTotals } from './compare-page';
export type { ComparedStack } from './compare-page';
