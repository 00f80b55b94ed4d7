// The name a store's box answers to on the store's network, as both sides derive it: the
// store serves it and asks for a certificate for it; HQ issues for exactly that name and
// no other (a store cannot ask for another store's name, nor for the zone itself).

/** `<store id>.<zone>`, the id lowercased and `_` made `-` (a DNS label has no `_`). */
export function storeHostname(storeId: string, zone: string): string {
  return `${storeId.toLowerCase().replace(/_/g, '-')}.${zone.toLowerCase()}`;
}
