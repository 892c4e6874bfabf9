import type { HostSettings } from '../../shared/types.js';
import type { HostService } from '../../daemon/host-service.js';
import type { XxlJobService, XxlJobServiceOptions } from './service.js';

/**
 * The xxl-job executor, loaded the first time jobctl.yaml has an `xxljob:` section: a host that
 * never uses it never loads its HTTP server, wire schemas (zod) and executor. Until then it is
 * off (no info); once loaded it takes every later apply, the section's removal included.
 */
export class XxlJobOnDemand implements HostService {
  readonly name = 'xxljob';
  private service: XxlJobService | undefined;
  private loading: Promise<XxlJobService> | undefined;
  private closed = false;

  constructor(private readonly opts: XxlJobServiceOptions) {}

  async apply(settings: HostSettings): Promise<void> {
    if (this.closed) return;
    if (!this.service && !settings.xxljob) return;
    this.loading ??= import('./service.js').then(({ XxlJobService }) => (this.service = new XxlJobService(this.opts)));
    const service = await this.loading;
    if (!this.closed) await service.apply(settings);
  }

  info(): unknown {
    return this.service?.info();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.service?.close();
  }
}
