/** Version of the socket protocols in this package. Bumped on any incompatible change. */
export const PROTOCOL_VERSION = 1;
/** WebSocket sub-protocol offered by clients (§2.2.1); servers also accept none. */
export const WS_SUBPROTOCOL = "taiku.v1";
