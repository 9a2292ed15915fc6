export {
  createCredential,
  createTokenSource,
  scopeFor,
  type CredentialSettings,
  type TokenSource,
} from './credential.ts';
export { SETUP_ERROR, isSetupError, toSetupError, type SetupError } from './setup-errors.ts';
