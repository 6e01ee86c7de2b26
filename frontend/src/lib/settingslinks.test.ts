import { describe, expect, it } from 'vitest';
import { registryHref, registryOfParam, settingsLinks } from './settingslinks';
import { parseHash } from './stores/router';

describe('settingsLinks', () => {
  it('links the plain-HTTP remedy to the registry', () => {
    const text =
      '10.0.0.5:5000/app:1: 10.0.0.5:5000 does not answer HTTPS and plain HTTP is not allowed for it; list http://10.0.0.5:5000 under endpoints of registryConfig.registries[10.0.0.5:5000] to allow it';
    const parts = settingsLinks(text);
    expect(parts.map((p) => p.text).join('')).toBe(text);
    const links = parts.filter((p) => p.registry);
    expect(links).toEqual([{ text: 'registryConfig.registries[10.0.0.5:5000]', registry: '10.0.0.5:5000' }]);
  });

  it('links the TLS remedy and the CA file', () => {
    const tls = settingsLinks('TLS failure with reg.example: x509; or set tls.insecureSkipVerify: true for endpoint https://reg.example under registryConfig.endpointConfig (trusted networks only)');
    expect(tls.filter((p) => p.registry).map((p) => p.registry)).toEqual(['reg.example']);
    const ca = settingsLinks('registry reg.example: CA file: no such file (ferry.registries[reg.example].caFile)');
    expect(ca.filter((p) => p.registry).map((p) => p.registry)).toEqual(['reg.example']);
  });

  it('leaves other text alone', () => {
    expect(settingsLinks('push failed')).toEqual([{ text: 'push failed' }]);
    expect(settingsLinks('')).toEqual([{ text: '' }]);
  });

  it('routes to the registry form', () => {
    const r = parseHash(registryHref('127.0.0.1:5000'));
    expect(r.page).toBe('settings');
    expect(registryOfParam(r.param)).toBe('127.0.0.1:5000');
    expect(registryOfParam(undefined)).toBeUndefined();
  });
});
