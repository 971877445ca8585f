package controlplane

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// repoRoot is the product repository (this package lives in test/e2e/controlplane).
var repoRoot = func() string {
	abs, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		panic(err)
	}
	return abs
}()

// cluster is a real Kubernetes control plane on loopback: Debian's etcd, and
// kube-apiserver and kube-controller-manager built from k8s.io/kubernetes
// (test/e2e/tools). No scheduler, kubelet or container runtime: pods are
// admitted and stay Pending, and the test plays the kubelet itself.
type cluster struct {
	dir        string // scratch: certificates, keys, data, logs
	kubeconfig string
	kubectlBin string
	logs       []string
}

// controlPlaneBinaries are the programs the test needs, from the environment
// test/e2e/run.sh sets up.
type controlPlaneBinaries struct {
	etcd, apiserver, controllerManager, kubectl, trustjob string
}

// lookupBinaries returns the binaries, or skips the test: the control-plane
// test runs from test/e2e/run.sh (`run.sh control-plane`), which builds them.
func lookupBinaries(t *testing.T) controlPlaneBinaries {
	t.Helper()
	dir := os.Getenv("E2E_BIN_DIR")
	tj := os.Getenv("TRUSTJOB_BIN")
	if dir == "" || tj == "" {
		t.Skip("control-plane test: set E2E_BIN_DIR (kube-apiserver, kube-controller-manager, kubectl) and TRUSTJOB_BIN; test/e2e/run.sh control-plane does")
	}
	etcd := os.Getenv("ETCD")
	if etcd == "" {
		p, err := exec.LookPath("etcd")
		if err != nil {
			t.Fatalf("etcd not found (apt-get install etcd-server, or set ETCD): %v", err)
		}
		etcd = p
	}
	b := controlPlaneBinaries{
		etcd:              etcd,
		apiserver:         filepath.Join(dir, "kube-apiserver"),
		controllerManager: filepath.Join(dir, "kube-controller-manager"),
		kubectl:           filepath.Join(dir, "kubectl"),
		trustjob:          tj,
	}
	for _, p := range []string{b.etcd, b.apiserver, b.controllerManager, b.kubectl, b.trustjob} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("control-plane test: %v", err)
		}
	}
	return b
}

// startCluster starts etcd, kube-apiserver and kube-controller-manager and
// waits until the controllers work. Everything stops when the test ends.
func startCluster(t *testing.T, bin controlPlaneBinaries) *cluster {
	t.Helper()
	c := &cluster{dir: t.TempDir(), kubectlBin: bin.kubectl}
	t.Cleanup(func() {
		if t.Failed() {
			c.dumpLogs(t)
		}
	})
	ports := freePorts(t, 4)
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	apiPort, kcmPort := ports[2], ports[3]

	saKey, saPub := c.writeSAKeys(t)
	token := randomHex(t, 16)
	tokens := filepath.Join(c.dir, "tokens.csv")
	writeFile(t, tokens, token+`,admin,admin,"system:masters"`+"\n")
	c.kubeconfig = filepath.Join(c.dir, "kubeconfig")
	writeFile(t, c.kubeconfig, fmt.Sprintf(kubeconfigTemplate, apiPort, token))

	start := time.Now()
	c.start(t, "etcd", bin.etcd,
		"--name", "e2e",
		"--data-dir", filepath.Join(c.dir, "etcd"),
		"--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "e2e="+peerURL)
	waitFor(t, "etcd health", 30*time.Second, func() error { return httpOK(etcdURL + "/health") })

	c.start(t, "kube-apiserver", bin.apiserver,
		"--etcd-servers", etcdURL,
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
		"--secure-port", strconv.Itoa(apiPort),
		"--cert-dir", filepath.Join(c.dir, "apiserver-certs"),
		"--service-account-issuer", "https://kubernetes.default.svc",
		"--service-account-key-file", saPub,
		"--service-account-signing-key-file", saKey,
		"--token-auth-file", tokens,
		"--authorization-mode", "RBAC",
		"--service-cluster-ip-range", "10.0.0.0/24",
		"--enable-priority-and-fairness=false",
		"--profiling=false")
	waitFor(t, "kube-apiserver /readyz", 90*time.Second, func() error {
		out, err := c.kubectl("get", "--raw", "/readyz")
		if err == nil && strings.TrimSpace(out) != "ok" {
			err = fmt.Errorf("readyz: %s", out)
		}
		return err
	})
	t.Logf("etcd and kube-apiserver ready in %s", time.Since(start).Round(time.Millisecond))

	c.start(t, "kube-controller-manager", bin.controllerManager,
		"--kubeconfig", c.kubeconfig,
		"--authentication-kubeconfig", c.kubeconfig,
		"--authorization-kubeconfig", c.kubeconfig,
		"--controllers", "cronjob-controller,job-controller,serviceaccount-controller,serviceaccount-token-controller",
		"--service-account-private-key-file", saKey,
		"--leader-elect=false",
		"--bind-address", "127.0.0.1",
		"--secure-port", strconv.Itoa(kcmPort),
		"--cert-dir", filepath.Join(c.dir, "kcm-certs"))
	// The serviceaccount controller creating `default` shows the controllers run.
	waitFor(t, "kube-controller-manager (default ServiceAccount)", 60*time.Second, func() error {
		_, err := c.kubectl("-n", "default", "get", "serviceaccount", "default")
		return err
	})
	t.Logf("control plane ready in %s", time.Since(start).Round(time.Millisecond))
	return c
}

const kubeconfigTemplate = `apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: https://127.0.0.1:%d
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    token: %s
contexts:
- name: e2e
  context: {cluster: e2e, user: admin}
current-context: e2e
`

// start runs a control-plane process with its output in a log file, and
// stops it (SIGTERM, then SIGKILL) when the test ends.
func (c *cluster) start(t *testing.T, name, bin string, args ...string) {
	t.Helper()
	logPath := filepath.Join(c.dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	c.logs = append(c.logs, logPath)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); _ = logf.Close(); close(done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
}

// kubectl runs kubectl against the cluster and returns its stdout; the error
// carries stderr.
func (c *cluster) kubectl(args ...string) (string, error) {
	return c.kubectlStdin(nil, args...)
}

func (c *cluster) kubectlStdin(stdin []byte, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.kubectlBin, append([]string{"--kubeconfig", c.kubeconfig}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

func (c *cluster) mustKubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := c.kubectl(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// writeSAKeys writes the service-account signing key pair (RSA, as
// kube-apiserver wants a PEM private key and its public key).
func (c *cluster) writeSAKeys(t *testing.T) (keyPath, pubPath string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	keyPath, pubPath = filepath.Join(c.dir, "sa.key"), filepath.Join(c.dir, "sa.pub")
	writeFile(t, keyPath, string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})))
	writeFile(t, pubPath, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})))
	return keyPath, pubPath
}

func (c *cluster) dumpLogs(t *testing.T) {
	for _, p := range c.logs {
		data, _ := os.ReadFile(p)
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > 40 {
			lines = lines[len(lines)-40:]
		}
		t.Logf("--- last lines of %s ---\n%s", filepath.Base(p), strings.Join(lines, "\n"))
	}
}

// freePorts reserves n distinct loopback ports (released just before use).
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		_ = l.Close()
	}
	return ports
}

func waitFor(t *testing.T, what string, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func httpOK(url string) error {
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return nil
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
