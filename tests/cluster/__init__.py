"""The cluster tier (real kube-apiserver + etcd) and the apply engine's pure parts."""
