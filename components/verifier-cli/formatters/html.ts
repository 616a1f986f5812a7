/**
 * The HTML formatter (--html FILE): the report page of components/report, with the command that repeats the
 * verdict (the same verifier options, without the page and with keys as placeholders). The page's modules, and
 * the charting libraries they load, are imported only here, so the CLI's start-up does not carry them.
 */
import { verifyCommandLine, type ArgOptions } from '../../verifier/argv';
import type { Report } from '../../verifier/report';

export async function writeHtml(file: string, report: Report, capture: string, opts: ArgOptions): Promise<void> {
  const { writeReportPage } = await import('../../report/page');
  await writeReportPage(file, report, {
    capture, command: verifyCommandLine(capture, opts),
    vxlanPorts: opts.vxlanPorts, genevePorts: opts.genevePorts, wireguardPorts: opts.wireguardPorts,
  });
}
