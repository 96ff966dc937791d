import { ConfigError, loadConfig } from '../../src/config/config';
import { MetricsModule } from '../../src/observability/metrics/metrics.module';

const TOKEN = 'metrics-token-0123456789';

describe('metrics configuration', () => {
  // The API's /metrics shares the public port: open, it names the busiest tenants and their counts.
  it('refuses to serve the API\'s /metrics without METRICS_TOKEN in production', () => {
    expect(() => MetricsModule.forApi(loadConfig({ NODE_ENV: 'production' }))).toThrow(ConfigError);
    expect(MetricsModule.forApi(loadConfig({ NODE_ENV: 'production', METRICS_TOKEN: TOKEN })).controllers).toHaveLength(1);
    expect(MetricsModule.forApi(loadConfig({ NODE_ENV: 'production', METRICS_ENABLED: 'false' })).controllers).toBeUndefined();
  });

  it('leaves /metrics open outside production, so a local stack needs no setup', () => {
    expect(MetricsModule.forApi(loadConfig({ NODE_ENV: 'development' })).controllers).toHaveLength(1);
  });
});
