package forwardauth_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// nginxConf is docs/integrations.md's nginx config, on test addresses.
func nginxConf(dir string, port int, gatehouse, upstream string) string {
	user := ""
	if os.Geteuid() == 0 {
		user = "user root root;" // workers must read the temp dir the test owns
	}
	return fmt.Sprintf(`%[5]s
worker_processes 1;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path %[1]s/tmp/body;
  proxy_temp_path %[1]s/tmp/proxy;
  fastcgi_temp_path %[1]s/tmp/fastcgi;
  uwsgi_temp_path %[1]s/tmp/uwsgi;
  scgi_temp_path %[1]s/tmp/scgi;

  server {
    listen 127.0.0.1:%[2]d;

    # The subrequest to Gatehouse: no body, the original method and URI
    # for --verify-rule.
    location = /_gatehouse_verify {
      internal;
      proxy_pass %[3]s/v1/verify;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Forwarded-Uri "";
      proxy_set_header X-Forwarded-Method "";
      # The original request's scheme and host, for DPoP proofs' htu.
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
    }

    location @login {
      return 302 /login?return_to=$request_uri;
    }

    location /app/ {
      auth_request /_gatehouse_verify;
      auth_request_set $auth_user $upstream_http_x_auth_user_id;
      auth_request_set $auth_name $upstream_http_x_auth_username;
      auth_request_set $auth_roles $upstream_http_x_auth_roles;
      auth_request_set $auth_sid $upstream_http_x_auth_session_id;
      # proxy_set_header replaces whatever the client sent under these names.
      proxy_set_header X-Auth-User-Id $auth_user;
      proxy_set_header X-Auth-Username $auth_name;
      proxy_set_header X-Auth-Roles $auth_roles;
      proxy_set_header X-Auth-Session-Id $auth_sid;
      proxy_pass %[4]s;
    }

    location /web/ {
      auth_request /_gatehouse_verify;
      error_page 401 = @login;
      auth_request_set $auth_user $upstream_http_x_auth_user_id;
      auth_request_set $auth_name $upstream_http_x_auth_username;
      auth_request_set $auth_roles $upstream_http_x_auth_roles;
      auth_request_set $auth_sid $upstream_http_x_auth_session_id;
      proxy_set_header X-Auth-User-Id $auth_user;
      proxy_set_header X-Auth-Username $auth_name;
      proxy_set_header X-Auth-Roles $auth_roles;
      proxy_set_header X-Auth-Session-Id $auth_sid;
      proxy_pass %[4]s;
    }
  }
}
`, dir, port, gatehouse, upstream, user)
}

// TestNginxAuthRequest runs a real nginx with auth_request against
// Gatehouse's /v1/verify.
func TestNginxAuthRequest(t *testing.T) {
	bin := need(t, "nginx")
	g := startGatehouse(t)
	up := newUpstream(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	conf := filepath.Join(dir, "nginx.conf")
	writeFile(t, conf, nginxConf(dir, port, g.url, up.URL))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	run(t, addr, nil, bin, "-e", "stderr", "-p", dir, "-c", conf, "-g", "daemon off; pid "+dir+"/nginx.pid; error_log stderr;")
	scenario(t, "http://"+addr, g, up, true)
	dpopScenario(t, "http://"+addr, g, up)
}
