/**
 * Stands in for `peerjs-js-binarypack` in the browser bundle (vite.config.ts `resolve.alias`).
 *
 * PeerJS imports BinaryPack for its 'binary' serialization (its default) and for `util.pack`.
 * We open every connection with serialization 'raw' and close any incoming connection that is
 * not 'raw' as soon as PeerJS announces it, before its channel opens (peerjs.ts,
 * acceptIncoming), so no BinaryPack code ever runs here. Aliasing it away saves the library's
 * bytes on every phone; if a future change ever reached it, this throws instead of silently
 * parsing a peer's bytes with a serializer we do not test.
 */
function notBundled(): never {
  throw new Error('PeerJS binary serialization is not bundled: this app opens raw connections only');
}

export function pack(_value: unknown): never {
  return notBundled();
}

export function unpack(_data: ArrayBuffer): never {
  return notBundled();
}
