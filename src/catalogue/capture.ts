/** Bounding capabilities an image's capture tools need (their file capabilities are cap_net_raw,cap_net_admin). */
export const CAPTURE = ['NET_RAW', 'NET_ADMIN'];
