/**
 * The Devo client credential and chain, read and cross-checked together: the PEM certificate and key, or a PKCS#12
 * bundle (never both), and the chain that is required with either.
 */
import { normalizePem, parseCertificates, parsePrivateKey } from './pem.ts';
import { decodePfx, openPkcs12 } from './pkcs12.ts';
import type { SettingProblem } from './errors.ts';
import * as S from './schema/index.ts';
import type { DevoSettings } from './settings-types.ts';
import { collect, missing, rawValue, type Env, type SettingSpec } from './spec.ts';

/** Reads and cross-checks the client credential and the chain, so a bad upload fails here and not at 2 a.m. */
export function readDevoCredentials(env: Env, problems: SettingProblem[]): Partial<DevoSettings> {
  const problem = (spec: SettingSpec<unknown>, text: string, fix: string): void => {
    problems.push({ errorId: spec.errorId, setting: spec.name, problem: text, fix });
  };
  const pem = (spec: typeof S.devoCert, alternative: string): string | undefined => {
    const raw = collect(spec, env, problems);
    if (raw === undefined) {
      if (rawValue(env, spec) === undefined)
        problems.push(missing(spec, `${spec.fix}${alternative} Or set DEVO_TLS=false for a plain-TCP in-house relay.`));
      return undefined;
    }
    return normalizePem(raw);
  };
  const readChain = (): string | undefined => {
    const chain = pem(S.devoChain, '');
    if (chain !== undefined) certificatesOrProblem(chain, S.devoChain, problem);
    return chain;
  };
  const passphraseSet = rawValue(env, S.devoPfxPassphrase) !== undefined;
  if (rawValue(env, S.devoPfx) === undefined) {
    if (passphraseSet) {
      problem(
        S.devoPfxPassphrase,
        'is set but DEVO_PFX is not.',
        'set DEVO_PFX to the base64 PKCS#12 bundle, or remove DEVO_PFX_PASSPHRASE when using DEVO_CERT and DEVO_KEY.',
      );
    }
    const credentials = readDevoPem(pem, problem);
    return { ...credentials, chain: readChain() };
  }
  const both = [S.devoCert, S.devoKey].filter((spec) => rawValue(env, spec) !== undefined);
  if (both.length > 0) {
    problem(
      S.devoPfx,
      `is set together with ${both.map((spec) => spec.name).join(' and ')}: the client credential must come one way only.`,
      'to use the PKCS#12 bundle remove DEVO_CERT and DEVO_KEY; to use the PEM files remove DEVO_PFX and DEVO_PFX_PASSPHRASE.',
    );
  }
  const pfx = collect(S.devoPfx, env, problems);
  const pfxPassphrase = collect(S.devoPfxPassphrase, env, problems);
  const chain = readChain();
  if (pfx === undefined || (passphraseSet && pfxPassphrase === undefined)) return { chain };
  const opened = openPkcs12(decodePfx(pfx), pfxPassphrase);
  const trouble = 'problem' in opened ? opened.problem : undefined;
  const leaf = 'certificate' in opened ? opened.certificate : undefined;
  if (leaf !== undefined && Date.parse(leaf.validTo) < Date.now()) {
    problem(
      S.devoPfx,
      `the certificate in the bundle expired on ${leaf.validTo}.`,
      'download a current certificate from Devo.',
    );
  }
  if (trouble === 'passphrase') {
    problem(
      S.devoPfxPassphrase,
      pfxPassphrase === undefined
        ? 'is not set, but DEVO_PFX is protected by a passphrase (its integrity check failed).'
        : 'does not open DEVO_PFX (its integrity check failed: wrong passphrase).',
      S.devoPfxPassphrase.fix,
    );
  } else if (trouble === 'format') {
    problem(
      S.devoPfx,
      'is base64 text, but not of a PKCS#12 bundle Node can read (a bundle encrypted with RC2 by older tools must be converted, see README).',
      S.devoPfx.fix,
    );
  }
  return { pfx, ...(pfxPassphrase === undefined ? {} : { pfxPassphrase }), chain };
}

/** The PEM certificate and its key: both present, readable, current and belonging together. */
function readDevoPem(
  pem: (spec: typeof S.devoCert, alternative: string) => string | undefined,
  problem: (spec: SettingSpec<unknown>, text: string, fix: string) => void,
): Pick<DevoSettings, 'cert' | 'key'> {
  const cert = pem(S.devoCert, ' Or set DEVO_PFX to a PKCS#12 bundle.');
  const key = pem(S.devoKey, ' Or set DEVO_PFX to a PKCS#12 bundle.');
  const [leaf] = cert === undefined ? [] : certificatesOrProblem(cert, S.devoCert, problem);
  if (leaf !== undefined && Date.parse(leaf.validTo) < Date.now()) {
    problem(S.devoCert, `the certificate expired on ${leaf.validTo}.`, 'download a current certificate from Devo.');
  }
  if (key !== undefined) {
    try {
      const keyObject = parsePrivateKey(key);
      if (leaf !== undefined && !leaf.checkPrivateKey(keyObject)) {
        problem(
          S.devoKey,
          'is not the private key of DEVO_CERT.',
          'upload the key that was downloaded with the certificate.',
        );
      }
    } catch {
      const encrypted = /ENCRYPTED/.test(key);
      problem(
        S.devoKey,
        encrypted ? 'is an encrypted private key.' : 'is not a PEM private key.',
        encrypted ? 'export the key without a passphrase (openssl pkey -in key.pem -out plain.pem).' : S.devoKey.fix,
      );
    }
  }
  return { cert, key };
}

function certificatesOrProblem(
  text: string,
  spec: typeof S.devoCert,
  problem: (spec: SettingSpec<unknown>, text: string, fix: string) => void,
): ReturnType<typeof parseCertificates> {
  try {
    const certs = parseCertificates(text);
    if (certs.length > 0) return certs;
    problem(spec, 'contains no PEM certificate (-----BEGIN CERTIFICATE-----).', spec.fix);
  } catch {
    problem(spec, 'contains a damaged PEM certificate.', spec.fix);
  }
  return [];
}
