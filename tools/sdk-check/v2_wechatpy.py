"""wechatpy's WeChatPay (PyPI, v2 XML API) against wxjs sim: nothing changed but API_BASE_URL."""
import json, sys, threading, time, urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from wechatpy.pay import WeChatPay
from wechatpy.exceptions import WeChatPayException

SIM = sys.argv[1]
m = [x for x in json.load(urllib.request.urlopen(SIM + "/__sim/merchants")) if x["mchId"] == "1900000109"][0]
app = m["appIds"][0]

received = []
class Notify(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        data = pay.parse_payment_result(body)  # raises on a bad sign
        received.append(data)
        self.send_response(200); self.end_headers()
        self.wfile.write(b"<xml><return_code><![CDATA[SUCCESS]]></return_code></xml>")
    def log_message(self, *a):
        pass
srv = HTTPServer(("127.0.0.1", 0), Notify)
threading.Thread(target=srv.serve_forever, daemon=True).start()

pay = WeChatPay(appid=app, api_key=m["apiKey"], mch_id=m["mchId"])
pay.API_BASE_URL = SIM + "/"  # the one change

# The payer's openid via the simulator's OAuth.
urllib.request.urlopen(urllib.request.Request(SIM + "/__sim/oauth/next", data=b'{"action":"approve"}', headers={"Content-Type": "application/json"}))
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None
try:
    urllib.request.build_opener(NoRedirect).open(SIM + f"/connect/oauth2/authorize?appid={app}&redirect_uri=http%3A%2F%2Flocalhost%2Fcb&response_type=code&scope=snsapi_base&state=s")
except urllib.error.HTTPError as e:
    code = e.headers["Location"].split("code=")[1].split("&")[0]
secret = [a for a in json.load(urllib.request.urlopen(SIM + "/__sim/apps")) if a["appId"] == app][0]["appSecret"]
openid = json.load(urllib.request.urlopen(SIM + f"/sns/oauth2/access_token?appid={app}&secret={secret}&code={code}&grant_type=authorization_code"))["openid"]

no = "py2" + str(int(time.time() * 1000))
order = pay.order.create(trade_type="JSAPI", body="wechatpy via wxjs", total_fee=88, notify_url=f"http://127.0.0.1:{srv.server_port}/n", client_ip="127.0.0.1", user_id=openid, out_trade_no=no)
print("unifiedorder:", order["result_code"], order["prepay_id"])
again = pay.order.create(trade_type="JSAPI", body="wechatpy via wxjs", total_fee=88, notify_url=f"http://127.0.0.1:{srv.server_port}/n", client_ip="127.0.0.1", user_id=openid, out_trade_no=no)
assert again["prepay_id"] == order["prepay_id"], "idempotent"
try:
    pay.order.create(trade_type="JSAPI", body="other", total_fee=89, notify_url=f"http://127.0.0.1:{srv.server_port}/n", client_ip="127.0.0.1", user_id=openid, out_trade_no=no)
    raise SystemExit("a changed order under a used number was accepted")
except WeChatPayException as e:
    print("changed order:", e.errcode)
params = pay.jsapi.get_jsapi_params(order["prepay_id"])
print("jsapi params:", sorted(params))
print("query:", pay.order.query(out_trade_no=no)["trade_state"])
print("paid:", urllib.request.urlopen(urllib.request.Request(SIM + "/__sim/pay/pay", data=json.dumps({"prepayId": order["prepay_id"]}).encode(), headers={"Content-Type": "application/json"})).read().decode())
for _ in range(100):
    if received: break
    time.sleep(0.1)
assert received, "no notification"
print("notification (sign verified by wechatpy):", received[0]["result_code"], received[0]["total_fee"], received[0]["out_trade_no"] == no)
q = pay.order.query(out_trade_no=no)
print("query:", q["trade_state"], q["transaction_id"])
try:
    pay.order.close(no)
except WeChatPayException as e:
    print("close paid:", e.errcode)
no2 = no + "c"
pay.order.create(trade_type="JSAPI", body="to close", total_fee=1, notify_url=f"http://127.0.0.1:{srv.server_port}/n", client_ip="127.0.0.1", user_id=openid, out_trade_no=no2)
print("close:", pay.order.close(no2)["result_code"], "->", pay.order.query(out_trade_no=no2)["trade_state"])
print("OK v2")
