// Chinese first (the demo store's locale), English beside it. Every string a page
// shows comes from here, looked up by key; the choice is remembered per device.

const TEXT = {
  'zh-CN': {
    appStaff: '门店看板',
    signIn: '员工登录',
    staffId: '员工编号',
    pin: '密码 (PIN)',
    signInButton: '登录',
    signOut: '退出',
    signInFailed: '登录失败：员工编号或密码不正确',
    online: '已连接总部',
    offline: '离线：数据暂存本地，联网后自动同步',
    inside: '店内人数',
    insToday: '今日进店',
    outsToday: '今日离店',
    entranceByHour: '每小时进店人数',
    heatmap: '客流热力图',
    lastHour: '最近 1 小时',
    today: '今天',
    last7Days: '最近 7 天',
    noHeatmap: '该时段暂无热力数据',
    dwell: '区域停留',
    zone: '区域',
    visits: '到访人次',
    avgDwell: '平均停留',
    conversion: '转化率（成交 ÷ 进店）',
    hour: '时段',
    footfall: '进店',
    sales: '成交',
    devices: '设备状态',
    cameras: '摄像头',
    sync: '同步积压',
    unsent: '待发送事件',
    helpCalls: '自助收银呼叫',
    noHelpCalls: '暂无呼叫',
    acknowledge: '处理',
    kiosk: '收银机',
    seconds: '秒',
    stateReady: '正常',
    stateDown: '故障',
    visible: '画面中人数',
    language: 'English',
  },
  en: {
    appStaff: 'Store dashboard',
    signIn: 'Staff sign-in',
    staffId: 'Staff ID',
    pin: 'PIN',
    signInButton: 'Sign in',
    signOut: 'Sign out',
    signInFailed: 'Sign-in failed: wrong staff ID or PIN',
    online: 'Connected to HQ',
    offline: 'Offline: data is kept in the store and syncs when HQ is back',
    inside: 'In the store now',
    insToday: 'Came in today',
    outsToday: 'Left today',
    entranceByHour: 'Entrance counts by hour',
    heatmap: 'Floor heatmap',
    lastHour: 'Last hour',
    today: 'Today',
    last7Days: 'Last 7 days',
    noHeatmap: 'No heatmap for this period yet',
    dwell: 'Dwell per zone',
    zone: 'Zone',
    visits: 'Visits',
    avgDwell: 'Average dwell',
    conversion: 'Conversion (sales ÷ footfall)',
    hour: 'Hour',
    footfall: 'Footfall',
    sales: 'Sales',
    devices: 'Devices',
    cameras: 'Cameras',
    sync: 'Sync backlog',
    unsent: 'Events waiting',
    helpCalls: 'Kiosk help calls',
    noHelpCalls: 'No calls',
    acknowledge: 'Acknowledge',
    kiosk: 'Kiosk',
    seconds: 's',
    stateReady: 'OK',
    stateDown: 'Down',
    visible: 'In view',
    language: '中文',
  },
};

export function locale() {
  const saved = localStorage.getItem('storeedge.locale');
  return saved === 'en' || saved === 'zh-CN' ? saved : 'zh-CN';
}

export function t(key) {
  return TEXT[locale()][key] ?? TEXT.en[key] ?? key;
}

export function toggleLocale() {
  localStorage.setItem('storeedge.locale', locale() === 'zh-CN' ? 'en' : 'zh-CN');
}

/** Fills every element with data-t="key" and sets the page language. */
export function translate(root = document) {
  document.documentElement.lang = locale();
  for (const el of root.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  for (const el of root.querySelectorAll('[data-t-label]'))
    el.setAttribute('aria-label', t(el.dataset.tLabel));
}
