"""wechatpayv3 (PyPI, by minibear2021) against wxjs sim: nothing changed but the gateway URL."""
import json, sys, tempfile, threading, time, os, urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from wechatpayv3 import WeChatPay, WeChatPayType

SIM = sys.argv[1]
MODE = sys.argv[2] if len(sys.argv) > 2 else "certificate"
MCH = sys.argv[3] if len(sys.argv) > 3 else "1900000109"
m = [x for x in json.load(urllib.request.urlopen(SIM + "/__sim/merchants")) if x["mchId"] == MCH][0]
app = m["appIds"][0]
# The payer: an openid of this appid from web authorisation (the simulator's user on the app).
req = urllib.request.Request(SIM + "/__sim/oauth/next", data=json.dumps({"action": "approve"}).encode(), headers={"Content-Type": "application/json"})
urllib.request.urlopen(req)

received = []
class Notify(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = {k: v for k, v in self.headers.items()}
        result = wxpay.callback(headers, body)
        received.append((headers, result))
        self.send_response(200 if result else 401)
        self.end_headers()
    def log_message(self, *a):
        pass
srv = HTTPServer(("127.0.0.1", 0), Notify)
threading.Thread(target=srv.serve_forever, daemon=True).start()
notify_url = f"http://127.0.0.1:{srv.server_port}/notify"

kw = {}
if MODE == "public_key":
    kw = {"public_key": m["platformPublicKey"], "public_key_id": m["platformSerial"]}
else:
    # The SDK fetches certificates from its gateway while it is constructed: seed its cert_dir
    # with the published certificate; later fetches go to the simulator.
    d = tempfile.mkdtemp()
    open(os.path.join(d, m["platformCertificateSerial"] + ".pem"), "w").write(m["platformCertificate"])
    kw = {"cert_dir": d}
wxpay = WeChatPay(wechatpay_type=WeChatPayType.JSAPI, mchid=m["mchId"], private_key=m["merchantPrivateKey"],
                  cert_serial_no=m["merchantSerial"], appid=app, apiv3_key=m["apiV3Key"], notify_url=notify_url, **kw)
wxpay._core._gate_way = SIM  # the base URL: the one change

# The payer's openid via the simulator's OAuth (snsapi_base, automated consent).
code_url = SIM + f"/connect/oauth2/authorize?appid={app}&redirect_uri=http%3A%2F%2Flocalhost%2Fcb&response_type=code&scope=snsapi_base&state=s"
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None
opener = urllib.request.build_opener(NoRedirect)
try:
    opener.open(code_url)
    raise SystemExit("expected a redirect")
except urllib.error.HTTPError as e:
    loc = e.headers["Location"]
code = loc.split("code=")[1].split("&")[0]
apps = json.load(urllib.request.urlopen(SIM + "/__sim/apps"))
secret = [a for a in apps if a["appId"] == app][0]["appSecret"]
tok = json.load(urllib.request.urlopen(SIM + f"/sns/oauth2/access_token?appid={app}&secret={secret}&code={code}&grant_type=authorization_code"))
openid = tok["openid"]

no = "py3" + str(int(time.time() * 1000))
code, msg = wxpay.pay(description="wechatpayv3 via wxjs", out_trade_no=no, amount={"total": 123}, payer={"openid": openid})
print("pay:", code, msg)
assert code == 200, msg
prepay = json.loads(msg)["prepay_id"]
# The page's parameters, signed by the SDK (what chooseWXPay gets).
ts, nonce = str(int(time.time())), "n" + no
pay_sign = wxpay.sign([app, ts, nonce, "prepay_id=" + prepay])
print("paySign:", pay_sign[:24] + "…")
code, msg = wxpay.query(out_trade_no=no)
print("query:", code, json.loads(msg)["trade_state"])
assert json.loads(msg)["trade_state"] == "NOTPAY"
# The person pays (the sheet's outcome, from the control API).
req = urllib.request.Request(SIM + "/__sim/pay/pay", data=json.dumps({"prepayId": prepay}).encode(), headers={"Content-Type": "application/json"})
print("paid:", urllib.request.urlopen(req).read().decode())
for _ in range(100):
    if any(r for _, r in received):
        break
    time.sleep(0.1)
print("posts received:", len(received), "rejected (probes):", sum(1 for _, r in received if r is None))
h, result = [x for x in received if x[1]][0]
print("notification: serial", h.get("Wechatpay-Serial"), "->", result["resource"]["trade_state"], result["resource"]["amount"])
assert result["resource"]["trade_state"] == "SUCCESS"
code, msg = wxpay.query(transaction_id=result["resource"]["transaction_id"])
print("query by id:", code, json.loads(msg)["trade_state"])
# A second order, closed.
no2 = no + "c"
code, msg = wxpay.pay(description="to close", out_trade_no=no2, amount={"total": 1}, payer={"openid": openid})
code, msg = wxpay.close(out_trade_no=no2)
print("close:", code)
assert code == 204
code, msg = wxpay.query(out_trade_no=no2)
print("query closed:", json.loads(msg)["trade_state"])
# Certificates through the SDK's own download.
wxpay._core._update_certificates()
print("certificates:", [hex(c.serial_number) for c in wxpay._core._certificates])
print("OK", MODE)
