// oidc-provider ships no type definitions; the tests use a small surface of it.
declare module "oidc-provider" {
  type Provider = any;
  const Provider: any;
  export default Provider;
}
