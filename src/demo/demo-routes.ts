import type { Type } from '@nestjs/common';
import type { AppConfig } from '../config/config';
import { DemoController } from './demo.controller';

/** The demo is a development aid: on unless DEMO_ENABLED says otherwise, never by default in production. */
export function demoEnabled(config: Pick<AppConfig, 'DEMO_ENABLED' | 'NODE_ENV'>): boolean {
  return config.DEMO_ENABLED ?? config.NODE_ENV !== 'production';
}

/** The demo's controllers when it is on; none otherwise, so /demo and its token route do not exist. */
export function demoControllers(config: AppConfig): Type[] {
  return demoEnabled(config) ? [DemoController] : [];
}
