export {
  createCredential,
  createTokenSource,
  scopeFor,
  type CredentialSettings,
  type TokenSource,
} from './credential.ts';
