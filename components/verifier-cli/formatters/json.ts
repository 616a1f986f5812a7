/** The JSON formatter (--json): the report as exactly one JSON object. */
import type { Report } from '../../verifier/report';

export function formatJson(report: Report): string {
  return JSON.stringify(report, null, 2) + '\n';
}
